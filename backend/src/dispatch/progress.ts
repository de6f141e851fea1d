// A station's reports on a dispatch order: received, turned out, on scene, returning, back
// and available. Each report only moves forward; a report that skips steps fills them with
// the same time (a crew that turns out at once has received the order then). 'available'
// is the release of the dispatch (records.ts). Audited and announced in the caller's transaction.
import type pg from 'pg';
import { recordAudit } from '../audit/audit.ts';
import { conflict, notFound } from '../kernel/errors.ts';
import { notifyQuery } from './notify.ts';
import { PROGRESS_COLUMNS, lockDispatchQuery, progressRowQuery, setProgressQuery } from './queries.ts';
import { releaseDispatch, type Actor } from './records.ts';

export type ReportedProgress = 'acknowledged' | 'turned_out' | 'on_scene' | 'returning' | 'available';
export type Progress = 'dispatched' | ReportedProgress;

const COLUMN: Record<Exclude<ReportedProgress, 'available'>, (typeof PROGRESS_COLUMNS)[number]> = {
  acknowledged: 'acknowledged_at',
  turned_out: 'turned_out_at',
  on_scene: 'on_scene_at',
  returning: 'returning_at',
};
const ORDER: Progress[] = ['dispatched', 'acknowledged', 'turned_out', 'on_scene', 'returning', 'available'];

/** Where a dispatch row stands (its latest report). */
export function progressOf(r: { released_at?: unknown; returning_at?: unknown; on_scene_at?: unknown; turned_out_at?: unknown; acknowledged_at?: unknown }): Progress {
  if (r.released_at) return 'available';
  if (r.returning_at) return 'returning';
  if (r.on_scene_at) return 'on_scene';
  if (r.turned_out_at) return 'turned_out';
  if (r.acknowledged_at) return 'acknowledged';
  return 'dispatched';
}

export async function reportProgress(c: pg.ClientBase, actor: Actor, dispatchId: number, to: ReportedProgress, note?: string): Promise<void> {
  const locked = (await c.query(lockDispatchQuery(dispatchId, actor.principal.scope))).rows[0];
  if (!locked) throw notFound(`dispatch ${dispatchId} does not exist or is outside your jurisdiction`);
  const row = (await c.query(progressRowQuery(dispatchId))).rows[0];
  const from = progressOf(row);
  if (ORDER.indexOf(to) <= ORDER.indexOf(from)) {
    throw conflict(`dispatch ${dispatchId} is already at '${from}'; a report only moves forward (${ORDER.slice(ORDER.indexOf(from) + 1).join(' → ') || 'nothing after it'})`, { progress: from });
  }
  if (to === 'available') {
    // Fill the earlier steps still empty, then release (station status, audit, notice).
    await c.query(setProgressQuery(dispatchId, 'returning_at'));
    await releaseDispatch(c, actor, dispatchId);
    await recordAudit(c, { actor: actor.principal, ip: actor.ip, action: 'dispatch.progress', entity: 'dispatch', entityId: dispatchId, before: { progress: from }, after: { progress: to, note: note ?? null } });
    return;
  }
  await c.query(setProgressQuery(dispatchId, COLUMN[to]));
  await recordAudit(c, { actor: actor.principal, ip: actor.ip, action: 'dispatch.progress', entity: 'dispatch', entityId: dispatchId, before: { progress: from }, after: { progress: to, note: note ?? null } });
  await c.query(notifyQuery({ kind: 'dispatch', id: dispatchId }));
}
