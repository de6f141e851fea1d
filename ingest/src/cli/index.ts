// CLI entry points, loaded lazily by `firelink` (backend/src/cli/main.ts).
export { decodeCommand } from './decode.ts';
export { simulateCommand } from './simulate.ts';
