// Periodic background jobs that never overlap: each run waits for the one before it, a
// failure is reported (onError) and does not stop the schedule, and stop() clears the
// timers and waits for the run in flight. Device health, duty checks and retention use it.
export class SerialJobs {
  private timers: NodeJS.Timeout[] = [];
  private running: Promise<unknown> = Promise.resolve();

  constructor(private readonly onError?: (err: unknown) => void) {}

  /** Runs `f` once, after whatever runs now. */
  run(f: () => unknown): void {
    this.running = this.running.then(() => f()).catch((err) => this.onError?.(err));
  }

  /** Runs `f` every `ms` (the timer does not keep the process alive). */
  every(ms: number, f: () => unknown): void {
    const t = setInterval(() => this.run(f), ms);
    t.unref?.();
    this.timers.push(t);
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await this.running.catch(() => {});
  }
}
