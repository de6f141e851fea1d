// Small pieces the duty panels share: data loading with a reload key, Shanghai times for
// the datetime inputs, and the panel frame.
import { useEffect, useState, type ReactNode } from 'react';

export function useLoad<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[]): { data: T | null; error: unknown } {
  const [state, setState] = useState<{ data: T | null; error: unknown }>({ data: null, error: null });
  useEffect(() => {
    const ac = new AbortController();
    load(ac.signal).then(
      (data) => setState({ data, error: null }),
      (error: unknown) => {
        if (!ac.signal.aborted) setState({ data: null, error });
      },
    );
    return () => ac.abort();
  }, deps);
  return state;
}

const SHANGHAI_MS = 8 * 3600_000;

/** An instant as the value of a datetime-local input, in Shanghai time (YYYY-MM-DDTHH:MM). */
export function toShanghaiInput(ms: number): string {
  return new Date(ms + SHANGHAI_MS).toISOString().slice(0, 16);
}

/** A datetime-local value read as Shanghai time, as ISO 8601 with its offset. */
export function fromShanghaiInput(v: string): string {
  return `${v}:00+08:00`;
}

/** Today's Shanghai date, YYYY-MM-DD, shifted by `days`. */
export function shanghaiDay(nowMs: number, days = 0): string {
  return new Date(nowMs + SHANGHAI_MS + days * 86_400_000).toISOString().slice(0, 10);
}

export function Panel({ title, testId, actions, children, wide }: { title: string; testId: string; actions?: ReactNode; children: ReactNode; wide?: boolean }) {
  return (
    <section className={`duty-panel${wide ? ' wide' : ''}`} data-testid={testId}>
      <header>
        <h2>{title}</h2>
        {actions}
      </header>
      {children}
    </section>
  );
}
