// A free TCP port on the loopback interface (private database clusters, test and bench servers).
import { createServer } from 'node:net';

/** A port nobody listens on right now (the kernel's pick; another process may take it before you do). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}
