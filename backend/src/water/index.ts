// Water sources: nearest usable ones by road distance, the layer, status changes.
export { nearestWaterSources, roadDistance } from './nearest.ts';
export type { NearestWaterSource, NearestWaterResult } from './nearest.ts';
export { toWaterSource } from './routes.ts';
export { waterFeature } from './feature.ts';
