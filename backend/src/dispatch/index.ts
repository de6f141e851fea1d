// Dispatch: nearest stations by road travel time, station status, dispatch records, coverage.
export { suggestStations, invalidateNetworkInfo } from './suggest.ts';
export type { StationSuggestion, SuggestResult, SuggestOptions, StationStatus } from './suggest.ts';
export { recordDispatch, releaseDispatch, setStationStatus } from './records.ts';
export type { DispatchRecord, RecordDispatchInput, Actor } from './records.ts';
export { computeCoverage, coverageByRegion, uncoveredUnits, stationAreas } from './coverage.ts';
export { dispatchFeature } from './feature.ts';
export * from './model.ts';
export { reportProgress, progressOf } from './progress.ts';
export type { Progress, ReportedProgress } from './progress.ts';
export { DISPATCH_CHANNEL, notifyQuery, parseNotice, type DispatchNotice } from './notify.ts';
