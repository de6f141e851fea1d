// How a long-running command ends: on SIGINT or SIGTERM it closes the server, but never for
// longer than a bound (a feature stuck waiting on an unreachable database must not keep a
// node from restarting); a second signal ends the process at once.
export const SHUTDOWN_BOUND_MS = 30_000;

/** Resolves once a signal came and `close` finished or the bound passed. */
export function closeOnSignal(close: () => Promise<void>, say: (m: string) => void, boundMs = SHUTDOWN_BOUND_MS): Promise<void> {
  return new Promise<void>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        say(`${signal} again: exiting now without waiting for the shutdown`);
        process.exit(130);
      }
      stopping = true;
      say(`${signal}: shutting down (at most ${boundMs / 1000} s; send it again to exit at once) …`);
      const bound = setTimeout(() => {
        say(`shutdown still running after ${boundMs / 1000} s: exiting anyway (confirmed frames are stored; devices resend what was not confirmed)`);
        // Whatever still holds the event loop (a stuck feature) must not keep the process up.
        setTimeout(() => process.exit(process.exitCode ?? 1), 2000).unref();
        resolve();
      }, boundMs);
      close().then(
        () => {
          clearTimeout(bound);
          resolve();
        },
        (err: unknown) => {
          clearTimeout(bound);
          say(`shutdown failed: ${err instanceof Error ? err.message : String(err)}`);
          resolve();
        },
      );
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
