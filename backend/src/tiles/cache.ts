// In-process tile cache: an LRU over encoded tiles, cleared when the geodata version in
// the database changes (every import and the demo seed bump it), so a CLI import in another
// process is seen here within VERSION_CHECK_MS.
export const TILE_CACHE_MAX_ENTRIES = 20_000;
/** At most this many bytes of tiles are kept (64 MiB). */
export const TILE_CACHE_MAX_BYTES = 64 * 1024 * 1024;
/** How often the database's geodata version is re-read, milliseconds. */
export const VERSION_CHECK_MS = 2_000;

export class TileCache {
  private readonly map = new Map<string, Buffer>();
  private bytes = 0;
  private version: string | null = null;
  private checkedAt = 0;
  hits = 0;
  misses = 0;

  constructor(
    private readonly readVersion: () => Promise<string>,
    private readonly now: () => number = Date.now,
  ) {}

  /** Re-reads the version when due; clears everything when it moved. */
  async sync(): Promise<void> {
    if (this.now() - this.checkedAt < VERSION_CHECK_MS) return;
    this.checkedAt = this.now();
    const v = await this.readVersion();
    if (v !== this.version) {
      this.clear();
      this.version = v;
    }
  }

  /** Drops every tile and forces a version check on the next request. */
  invalidate(): void {
    this.clear();
    this.checkedAt = 0;
  }

  get(key: string): Buffer | undefined {
    const v = this.map.get(key);
    if (v) {
      // Re-insert: Map iteration order is insertion order, so the oldest is first.
      this.map.delete(key);
      this.map.set(key, v);
      this.hits++;
    } else {
      this.misses++;
    }
    return v;
  }

  set(key: string, tile: Buffer): void {
    const old = this.map.get(key);
    if (old) this.bytes -= old.length;
    this.map.set(key, tile);
    this.bytes += tile.length;
    while (this.map.size > TILE_CACHE_MAX_ENTRIES || this.bytes > TILE_CACHE_MAX_BYTES) {
      const first = this.map.keys().next();
      if (first.done) break;
      this.bytes -= this.map.get(first.value)!.length;
      this.map.delete(first.value);
    }
  }

  get size(): number {
    return this.map.size;
  }

  private clear(): void {
    this.map.clear();
    this.bytes = 0;
  }
}
