// The event bus across processes: NATS JetStream. Ingest nodes publish each frame's
// committed events (after the PostgreSQL commit, after the device's confirm) on one
// subject of a work-queue stream; workers share one durable pull consumer, so each message
// goes to exactly one of them, and ack it only after the pipeline has committed its
// batch. A worker that dies before its ack has its messages redelivered to another after
// ackWaitMs; the alarm stage claims events in its own transaction (processed_events), so
// a redelivery never counts an event twice.
//
// Durability rests on PostgreSQL, not on the stream: an event lost between commit and
// publish (the ingest node died) is found by the workers' catch-up sweep (worker.ts).
import type { EventBus, EventHandler, StoredEvent } from '@firelink/common';
import {
  AckPolicy,
  connect,
  DeliverPolicy,
  JSONCodec,
  nanos,
  RetentionPolicy,
  StorageType,
  type ConsumerMessages,
  type JetStreamClient,
  type JsMsg,
  type NatsConnection,
} from 'nats';
import type { Logger } from '../logger.ts';

export interface JetStreamBusOptions {
  /** NATS server(s), e.g. nats://127.0.0.1:4222 (NATS_URL). */
  url: string;
  /** Stream name (NATS_STREAM); its subject is `<name>.events` lower-cased. Default FIRELINK_EVENTS. */
  stream?: string;
  /** Stream replicas: 3 on a three-server NATS cluster, 1 on a single server. Default 1. */
  replicas?: number;
  /** Connection name shown by the NATS server (the role and pid). */
  name: string;
  logger: Logger;
}

export interface ConsumeOptions {
  /** The durable consumer every worker shares. Default `workers`. */
  durable?: string;
  /** How long a delivered, unacknowledged message waits before redelivery, ms. Default 30,000. */
  ackWaitMs?: number;
  /** Messages pulled ahead (and processed together) at most. Default 500. */
  maxMessages?: number;
  /** Resolves when everything the handlers were given is committed (the pipeline's idle()). */
  settle: () => Promise<void>;
}

/** Events per published message: a message stays far below NATS's 1 MB max_payload. */
const EVENTS_PER_MESSAGE = 200;
/** The stream keeps an unconsumed message this long (workers down for a day: the sweep covers the rest), ms. */
const MAX_AGE_MS = 24 * 3600_000;
/** Publishes with the same message id within this window are stored once (publish retried), ms. */
const DUPLICATE_WINDOW_MS = 120_000;

/** How long a publish waits for JetStream's ack, ms. */
const PUBLISH_TIMEOUT_MS = 2000;

const codec = JSONCodec<StoredEvent[]>();

/** NATS_URL names no reachable NATS server (the message says which and why). */
export class NatsUrlError extends Error {}

export class JetStreamBus implements EventBus {
  private handlers: EventHandler[] = [];
  private outbox: Array<{ events: StoredEvent[]; resolve: () => void; reject: (err: unknown) => void }> = [];
  private flushing: Promise<void> | null = null;
  private messages: ConsumerMessages | null = null;
  private consuming: Promise<void> | null = null;
  readonly stream: string;
  readonly subject: string;
  /** Messages acknowledged / negatively acknowledged by this node's consumer. */
  readonly stats = { published: 0, acked: 0, nacked: 0 };

  private constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly o: JetStreamBusOptions,
  ) {
    this.stream = o.stream ?? 'FIRELINK_EVENTS';
    this.subject = `${this.stream.toLowerCase()}.events`;
  }

  /** Connects and creates (or updates) the work-queue stream. */
  static async connect(o: JetStreamBusOptions): Promise<JetStreamBus> {
    let nc: NatsConnection;
    try {
      nc = await connect({ servers: o.url, name: o.name, maxReconnectAttempts: -1 });
    } catch (err) {
      throw new NatsUrlError(`NATS_URL: cannot connect to ${o.url} (${(err as Error).message}); start NATS with JetStream (nats-server -js) or fix NATS_URL`, { cause: err });
    }
    const bus = new JetStreamBus(nc, nc.jetstream(), o);
    const jsm = await nc.jetstreamManager();
    const cfg = {
      name: bus.stream,
      subjects: [bus.subject],
      retention: RetentionPolicy.Workqueue,
      storage: StorageType.File,
      num_replicas: o.replicas ?? 1,
      max_age: nanos(MAX_AGE_MS),
      duplicate_window: nanos(DUPLICATE_WINDOW_MS),
    };
    try {
      await jsm.streams.info(bus.stream);
      await jsm.streams.update(bus.stream, cfg);
    } catch (err) {
      if (!/not found/i.test((err as Error).message)) throw err;
      await jsm.streams.add(cfg);
    }
    return bus;
  }

  /**
   * Publishes after the commit. Calls that come while a publish is waiting for JetStream's
   * ack go together in the next round (up to EVENTS_PER_MESSAGE events per message): ingest
   * publishes each frame's events, thousands of frames a second over thousands of
   * connections, and one acknowledged message per frame made JetStream's round trips the
   * ingest nodes' bottleneck. Each caller resolves when its events are acknowledged (rejects
   * with its round), so a device's next frame still waits for its last one's publish.
   */
  publish(events: StoredEvent[]): Promise<void> {
    if (events.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.outbox.push({ events, resolve, reject });
      this.flushing ??= new Promise<void>((r) => setImmediate(r)).then(() => this.flush());
    });
  }

  private async flush(): Promise<void> {
    try {
      while (this.outbox.length > 0) {
        const round = this.outbox.splice(0);
        const events = round.flatMap((x) => x.events);
        try {
          for (let i = 0; i < events.length; i += EVENTS_PER_MESSAGE) {
            const part = events.slice(i, i + EVENTS_PER_MESSAGE);
            // Event ids are unique: a retried publish of the same events is stored once.
            // Bounded: the devices were confirmed already, but their next frames wait for this; a
            // publish that fails here is logged by the callers and left to the workers' catch-up sweep.
            await this.js.publish(this.subject, codec.encode(part), { msgID: `ev-${part[0]!.id}-${part[part.length - 1]!.id}-${part.length}`, timeout: PUBLISH_TIMEOUT_MS });
            this.stats.published++;
          }
          for (const x of round) x.resolve();
        } catch (err) {
          for (const x of round) x.reject(err);
        }
      }
    } finally {
      this.flushing = null;
    }
  }

  /** Handlers run (in subscription order) only on a node that consume()s: a worker. */
  subscribe(handler: EventHandler): () => void {
    this.handlers.push(handler);
    return () => {
      this.handlers = this.handlers.filter((h) => h !== handler);
    };
  }

  /**
   * Pulls from the shared durable consumer: whatever has arrived is handed to the handlers
   * as one batch, then acked once `settle` resolves (committed). A failing batch is nak'ed
   * and redelivered after a second.
   */
  async consume(c: ConsumeOptions): Promise<void> {
    const durable = c.durable ?? 'workers';
    const jsm = await this.nc.jetstreamManager();
    const ccfg = {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(c.ackWaitMs ?? 30_000),
      max_deliver: -1,
      max_ack_pending: 20_000,
    };
    try {
      await jsm.consumers.add(this.stream, ccfg);
    } catch {
      await jsm.consumers.update(this.stream, durable, { ack_wait: ccfg.ack_wait, max_ack_pending: ccfg.max_ack_pending });
    }
    const consumer = await this.js.consumers.get(this.stream, durable);
    const messages = await consumer.consume({ max_messages: c.maxMessages ?? 500 });
    this.messages = messages;
    const buffer: JsMsg[] = [];
    const signal: { wake: (() => void) | null; ended: boolean } = { wake: null, ended: false };
    const processing = (async () => {
      while (!signal.ended || buffer.length > 0) {
        if (buffer.length === 0) {
          await new Promise<void>((r) => (signal.wake = r));
          continue;
        }
        // Whatever arrived while the last batch ran goes together (one pipeline batch).
        const batch = buffer.splice(0);
        await this.runBatch(batch, c.settle);
      }
    })();
    this.consuming = (async () => {
      for await (const m of messages) {
        buffer.push(m);
        signal.wake?.();
        signal.wake = null;
      }
      signal.ended = true;
      signal.wake?.();
      await processing;
    })();
  }

  private async runBatch(delivered: JsMsg[], settle: () => Promise<void>): Promise<void> {
    const events: StoredEvent[] = [];
    const good: JsMsg[] = [];
    for (const m of delivered) {
      try {
        events.push(...codec.decode(m.data));
        good.push(m);
      } catch (err) {
        // Not ours or corrupt: never redeliver it (term), say so.
        this.o.logger.error({ err, seq: m.seq }, 'JetStream message is not a JSON array of events; dropped');
        m.term();
      }
    }
    const batch = good;
    try {
      for (const h of this.handlers) await h(events);
      await settle();
      for (const m of batch) m.ack();
      this.stats.acked += batch.length;
    } catch (err) {
      this.o.logger.error({ err, messages: batch.length }, 'event batch failed; redelivering');
      for (const m of batch) m.nak(1000);
      this.stats.nacked += batch.length;
    }
  }

  /** Messages the shared consumer has not had acked yet (pending + delivered, unacked); 0 when workers are idle. */
  async backlog(durable = 'workers'): Promise<number> {
    const jsm = await this.nc.jetstreamManager();
    const i = await jsm.consumers.info(this.stream, durable);
    return i.num_pending + i.num_ack_pending;
  }

  /** Stops pulling; resolves when the batch in hand is acked (the rest is redelivered to other workers). */
  async stopConsuming(): Promise<void> {
    this.messages?.stop();
    await this.consuming?.catch(() => {});
  }

  async close(): Promise<void> {
    await this.stopConsuming();
    while (this.flushing) await this.flushing;
    await this.nc.drain().catch(() => {});
  }
}

/** Deletes a stream (tests clean up theirs). */
export async function deleteStream(url: string, stream: string): Promise<void> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await nc.jetstreamManager();
    await jsm.streams.delete(stream).catch(() => false);
  } finally {
    await nc.close();
  }
}
