/** A region's connection rate against its target (region fills on the maps). */
export interface RegionRate {
  /** Share connected, 0–1; null when the region has no units to count. */
  rate: number | null;
  /** Target share, 0–1. */
  target: number;
}
