// SMS digests: which notification items go into which message, and the message's words.
// Pure: no database. The service reads each recipient's recent messages, asks planDigests
// what to write, and writes it in one transaction.
//
// Per recipient (a phone number) and region there is at most one message *open for merging*
// (outbox.hold_key set): it waits `coalesceS` for more items before it is sent, and never
// sooner than `minIntervalS` after the recipient's previous message. Items arriving in that
// time join it, so a storm of faults at one unit, or at the many units an agency maintains,
// becomes one message that names them. Per unit and kind, an item already sent to this
// recipient within the rule's throttle is not sent again (it is counted as suppressed); one
// already waiting in the open message adds to its count instead. Per recipient and Shanghai
// day at most `dailyCap` messages: the last one is the remainder summary, held to the end of
// the day, that names what happened after the cap was reached.
import { SHANGHAI_OFFSET_MS } from '@firelink/common';

export interface DigestItem {
  unitId: number;
  unitName: string;
  /** Event kind (fault, host_offline, mains_power_fault, …). */
  kind: string;
  /** What happened, in Chinese (eventDetailZh): never blank. */
  detail: string;
  eventId: number;
  /** How many events this item stands for (repeats of the same unit, kind and detail). */
  count: number;
}

export interface NotificationPolicy {
  /** A new message waits this long for more items before it is due, s. */
  coalesceS: number;
  /** A recipient's messages are at least this far apart (per-recipient rate limit), s. */
  minIntervalS: number;
  /** Messages per recipient per Shanghai day; the last of them is the remainder summary. */
  dailyCap: number;
  /** Longest text, characters (several SMS segments at most). */
  maxChars: number;
}

export const DEFAULT_NOTIFICATION_POLICY: NotificationPolicy = {
  coalesceS: 60,
  minIntervalS: 600,
  dailyCap: 12,
  maxChars: 300,
};

/** A message of this recipient already in the outbox (created within the day or the throttle window). */
export interface ExistingMessage {
  id: number;
  /** Open for merging (hold_key set, not yet claimed by the worker). */
  open: boolean;
  holdKey: string | null;
  createdAtMs: number;
  items: DigestItem[];
  summary: boolean;
}

export interface NewItem extends DigestItem {
  recipient: string;
  regionAdcode: number | null;
  /** The rule's throttle for this kind, s. */
  throttleS: number;
}

export interface PlannedInsert {
  recipient: string;
  holdKey: string;
  items: DigestItem[];
  summary: boolean;
  dueAtMs: number;
}

export interface DigestPlan {
  /** Open messages that received items (their full new item list). */
  updates: Array<{ id: number; items: DigestItem[]; summary: boolean }>;
  inserts: PlannedInsert[];
  /** Items not sent: throttled repeats, or past the day's cap. */
  suppressed: number;
}

export const holdKeyOf = (recipient: string, regionAdcode: number | null) => `${recipient}|${regionAdcode ?? 0}`;
const itemKey = (i: Pick<DigestItem, 'unitId' | 'kind'>) => `${i.unitId}:${i.kind}`;

/** Start of the Shanghai day of `ms`, ms since epoch. */
export function shanghaiDayStartMs(ms: number): number {
  return Math.floor((ms + SHANGHAI_OFFSET_MS) / 86_400_000) * 86_400_000 - SHANGHAI_OFFSET_MS;
}

function addItem(list: DigestItem[], it: DigestItem): void {
  const same = list.find((x) => x.unitId === it.unitId && x.kind === it.kind && x.detail === it.detail);
  if (same) same.count += it.count;
  else list.push({ unitId: it.unitId, unitName: it.unitName, kind: it.kind, detail: it.detail, eventId: it.eventId, count: it.count });
}

/**
 * Decides, for new items, which open messages they join and which messages are created.
 * `existing` holds each recipient's messages since the start of the Shanghai day and within
 * the longest throttle window.
 */
export function planDigests(items: readonly NewItem[], existing: ReadonlyMap<string, readonly ExistingMessage[]>, policy: NotificationPolicy, nowMs: number): DigestPlan {
  const dayStart = shanghaiDayStartMs(nowMs);
  const plan: DigestPlan = { updates: [], inserts: [], suppressed: 0 };
  const updated = new Map<number, { id: number; items: DigestItem[]; summary: boolean }>();
  const inserted = new Map<string, PlannedInsert>();
  const byRecipient = new Map<string, NewItem[]>();
  for (const it of items) {
    const l = byRecipient.get(it.recipient);
    if (l) l.push(it);
    else byRecipient.set(it.recipient, [it]);
  }
  for (const [recipient, list] of byRecipient) {
    const msgs = existing.get(recipient) ?? [];
    let today = msgs.filter((m) => m.createdAtMs >= dayStart).length;
    let last = msgs.reduce((t, m) => Math.max(t, m.createdAtMs), -Infinity);
    for (const it of list) {
      const hold = holdKeyOf(recipient, it.regionAdcode);
      const openRow = msgs.find((m) => m.open && m.holdKey === hold);
      const target = openRow
        ? (updated.get(openRow.id) ?? { id: openRow.id, items: openRow.items.map((x) => ({ ...x })), summary: openRow.summary })
        : inserted.get(hold);
      // Already waiting in the open message: it only adds to the count.
      if (target && target.items.some((x) => itemKey(x) === itemKey(it))) {
        addItem(target.items, it);
        if (openRow) updated.set(openRow.id, target as { id: number; items: DigestItem[]; summary: boolean });
        continue;
      }
      // Sent (or claimed) within the rule's throttle: not again.
      const since = nowMs - it.throttleS * 1000;
      if (msgs.some((m) => !m.open && m.createdAtMs > since && m.items.some((x) => itemKey(x) === itemKey(it)))) {
        plan.suppressed++;
        continue;
      }
      if (target) {
        addItem(target.items, it);
        if (openRow) updated.set(openRow.id, target as { id: number; items: DigestItem[]; summary: boolean });
        continue;
      }
      if (today >= policy.dailyCap) {
        plan.suppressed++;
        continue;
      }
      const summary = today === policy.dailyCap - 1;
      // The summary waits for the end of the day (one minute before midnight, Shanghai).
      const dueAtMs = summary
        ? Math.max(nowMs, dayStart + 86_400_000 - 60_000)
        : Math.max(nowMs + policy.coalesceS * 1000, last + policy.minIntervalS * 1000);
      const ins: PlannedInsert = { recipient, holdKey: hold, items: [], summary, dueAtMs };
      addItem(ins.items, it);
      inserted.set(hold, ins);
      today++;
      last = nowMs;
    }
  }
  plan.updates = [...updated.values()];
  plan.inserts = [...inserted.values()];
  return plan;
}

/** Kind names as a message says them. */
export const KIND_ZH: Record<string, string> = {
  fault: '故障',
  mains_power_fault: '主电故障',
  backup_power_fault: '备电故障',
  host_offline: '主机离线',
  duty_check_missed: '查岗未应答',
  fire: '火警',
  supervisory: '监管报警',
};

function detailList(items: readonly DigestItem[], budget: number): string {
  const out: string[] = [];
  let used = 0;
  for (const x of items) {
    const s = x.count > 1 ? `${x.detail}（${x.count}次）` : x.detail;
    if (out.length > 0 && used + s.length > budget) return `${out.join('、')}等${items.length}处`;
    out.push(s);
    used += s.length + 1;
  }
  return out.join('、');
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * The message's words. One unit and one kind: the rule's template with every detail named
 * ({detail}); several: one line per unit and kind ("新街口百货 故障3处：3F 烟感故障、…").
 * The summary says that the day's cap was reached and what followed.
 */
export function renderDigest(
  items: readonly DigestItem[],
  opts: { summary: boolean; templates: ReadonlyMap<string, string>; maxChars: number; dailyCap: number },
): string {
  const groups = new Map<string, DigestItem[]>();
  for (const it of items) {
    const k = itemKey(it);
    const g = groups.get(k);
    if (g) g.push(it);
    else groups.set(k, [it]);
  }
  const tpl = groups.size === 1 ? opts.templates.get(items[0]!.kind) : undefined;
  if (!opts.summary && tpl) {
    const unit = items[0]!.unitName;
    const detail = detailList(items, Math.max(20, opts.maxChars - tpl.length - unit.length - 10));
    return clip(tpl.replace(/\{unit\}/g, unit).replace(/\{detail\}/g, detail), opts.maxChars);
  }
  const units = new Set(items.map((i) => i.unitId)).size;
  const total = items.length;
  const head = opts.summary
    ? `【消防联网】今日短信已达上限（${opts.dailyCap}条），此后${units}个单位另有${total}项异常：`
    : `【消防联网】${units}个单位有${total}项异常：`;
  const tail = opts.summary ? '。详情请登录消防联网平台查看。' : '。请尽快处理。';
  const parts: string[] = [];
  let used = head.length + tail.length;
  let shown = 0;
  for (const g of groups.values()) {
    const n = g.length;
    const name = `${g[0]!.unitName} ${KIND_ZH[g[0]!.kind] ?? '异常'}${n > 1 ? `${n}处` : ''}`;
    // A detail that only repeats the kind ("主电故障") is not said twice.
    const line =
      g.length === 1 && g[0]!.detail === KIND_ZH[g[0]!.kind]
        ? `${name}${g[0]!.count > 1 ? `（${g[0]!.count}次）` : ''}`
        : `${name}：${detailList(g, 40)}`;
    if (shown > 0 && used + line.length + 8 > opts.maxChars) {
      parts.push(`另有${groups.size - shown}项`);
      break;
    }
    parts.push(line);
    used += line.length + 1;
    shown++;
  }
  return clip(head + parts.join('；') + tail, opts.maxChars);
}
