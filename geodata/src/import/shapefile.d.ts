// Minimal types for the `shapefile` package (it ships none).
declare module 'shapefile' {
  interface Source {
    read(): Promise<{ done: boolean; value: { type: 'Feature'; properties: Record<string, unknown>; geometry: import('geojson').Geometry | null } }>;
  }
  export function open(shp: ArrayBuffer | Uint8Array | string, dbf?: ArrayBuffer | Uint8Array | string, options?: { encoding?: string }): Promise<Source>;
}
