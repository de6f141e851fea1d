// Dispatch changes announced with PostgreSQL NOTIFY, inside the transaction that makes
// them: the notification is delivered only when it commits (never for a rolled-back
// dispatch), and to every server process. The station stream (station/stream.ts) listens
// and pushes orders, progress and station status to the clients that may see them.
import type { Query } from '../db/pool.ts';

export const DISPATCH_CHANNEL = 'firelink_dispatch';

/** `dispatch:<id>`: a dispatch was recorded or its progress changed; `station:<id>`: a station's status changed. */
export type DispatchNotice = { kind: 'dispatch'; id: number } | { kind: 'station'; id: number };

export function notifyQuery(n: DispatchNotice): Query {
  return { text: `SELECT pg_notify($1, $2)`, values: [DISPATCH_CHANNEL, `${n.kind}:${n.id}`] };
}

export function parseNotice(payload: string | undefined): DispatchNotice | null {
  const m = /^(dispatch|station):(\d{1,15})$/.exec(payload ?? '');
  return m ? { kind: m[1] as 'dispatch' | 'station', id: Number(m[2]) } : null;
}
