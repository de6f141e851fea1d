// The ingest thread's entry: Node does not load TypeScript in a worker by itself (the CLI
// registers tsx in the main thread only), so the worker registers it and loads its body.
import { register } from 'tsx/esm/api';

register();
await import('./ingest-thread-worker.ts');
