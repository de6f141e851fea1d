// Periodic background jobs that never overlap: every run waits for the one before it, a
// failure is reported (onError) and does not stop the schedule, and stop() clears the
// timers and waits for the run in flight. A periodic job whose previous run has not
// finished skips that tick instead of queueing another, so a slow database never builds
// a backlog of runs. Every periodic loop of the server uses it (device health, duty
// checks, retention, session housekeeping, the outbox and 119 forwarding workers,
// escalation, analytics refresh, allowlist reload).
export class SerialJobs {
  private timers: NodeJS.Timeout[] = [];
  private running: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(private readonly onError?: (err: unknown) => void) {}

  /** Runs `f` once, after whatever runs now; resolves when it has run (never rejects). */
  run(f: () => unknown): Promise<void> {
    const done = this.running.then(() => (this.stopped ? undefined : f())).catch((err) => this.onError?.(err));
    this.running = done;
    return done.then(() => undefined);
  }

  /** Runs `f` every `ms` (the timer does not keep the process alive); `immediately` also runs it now. */
  every(ms: number, f: () => unknown, opts: { immediately?: boolean } = {}): void {
    if (!(ms > 0)) throw new RangeError(`SerialJobs.every: interval must be a positive number of ms, got ${ms}`);
    let pending = false;
    const tick = () => {
      if (pending || this.stopped) return;
      pending = true;
      void this.run(f).finally(() => {
        pending = false;
      });
    };
    const t = setInterval(tick, ms);
    t.unref?.();
    this.timers.push(t);
    if (opts.immediately) tick();
  }

  /**
   * A trigger for `f`: each call queues one run unless one is already queued and not yet
   * started, so a burst of calls costs at most the run in flight plus one more.
   */
  coalesced(f: () => unknown): () => void {
    let queued = false;
    return () => {
      if (queued || this.stopped) return;
      queued = true;
      void this.run(() => {
        queued = false;
        return f();
      });
    };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await this.running.catch(() => {});
  }
}
