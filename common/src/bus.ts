// Contract between ingest (which decodes, persists and confirms) and the pipeline (alarm
// rules, broadcast). Events are published only after they are committed.
import type { NormalizedEvent } from './event.ts';

/** An event as stored in the `events` table, enriched from the device registry. */
export interface StoredEvent extends NormalizedEvent {
  id: number;
  deviceId: number | null;
  unitId: number | null;
  pointId: number | null;
  regionAdcode: number | null;
  h3R9: string | null;
}

export type EventHandler = (events: StoredEvent[]) => void | Promise<void>;

/** In-process by default; NATS JetStream when scaled out. */
export interface EventBus {
  publish(events: StoredEvent[]): Promise<void>;
  subscribe(handler: EventHandler): () => void;
}

/** Runs handlers in subscription order; a failing handler is reported, never fatal to the publisher. */
export class InProcessEventBus implements EventBus {
  private handlers: EventHandler[] = [];
  constructor(private readonly onError: (err: unknown) => void = () => {}) {}

  async publish(events: StoredEvent[]): Promise<void> {
    if (events.length === 0) return;
    for (const h of this.handlers) {
      try {
        await h(events);
      } catch (err) {
        this.onError(err);
      }
    }
  }

  subscribe(handler: EventHandler): () => void {
    this.handlers.push(handler);
    return () => {
      this.handlers = this.handlers.filter((h) => h !== handler);
    };
  }
}
