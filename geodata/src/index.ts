// @firelink/geodata: regions, the synthetic demo city, importers, coordinate conversion,
// tie-to-place.
export * from './crs/index.ts';
export { CITIES, DISTRICTS, PROVINCE, STALE_ADCODES } from './regions/jiangsu.ts';
export { loadRegions, REGIONS_FILE, REGIONS_SOURCE } from './regions/load.ts';
export { FULL_DEMO, generateDemoCity, type DemoCity, type DemoOptions } from './demo/generate.ts';
export { seedDemo, seedDemoIfEmpty, seedDemoSubset, type SeedReport } from './demo/seed.ts';
export { FOOTPRINT_TOLERANCE_M, h3Cells, tieToPlace, type UntiedRow } from './tie/index.ts';
export { importFile, formatReport, type ImportOptions, type ImportReport } from './import/import.ts';
export { runImportCli, IMPORT_USAGE } from './import/cli.ts';
export { IMPORT_LAYERS, type ImportLayer } from './import/map.ts';
export { readSourceFile, ImportFileError } from './import/read.ts';
export { parseWkt } from './import/wkt.ts';
export { readXlsxRecords, writeXlsx, XlsxReadError, type XlsxCell } from './import/xlsx.ts';
export { MAX_ZOOM, MIN_ZOOM, SCOPED_LAYERS, TILE_LAYERS, geodataVersion, tileQuery, type ScopeSql, type TileLayer } from './tiles/queries.ts';
export { DEMO_HYDRANT_SPACING_M, seedDemoWaterSources } from './water/hydrants.ts';
