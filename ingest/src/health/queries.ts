// SQL of device health and duty checks. Named functions return {text, values}.
import type { Query } from '@firelink/common';

/** Writes last-seen times; returns devices that were offline before (they came back). */
// FOR NO KEY UPDATE, not FOR UPDATE: the rows are only changed in non-key columns, and a
// FOR UPDATE lock would conflict with the FOR KEY SHARE locks that the events inserts'
// foreign-key checks take on the same devices — that deadlocked ingest's commit batches
// against this flush (seen as 1 s stalls = deadlock_timeout in bench:live).
export function markSeen(addresses: number[], seenAt: string[], peers: string[]): Query {
  return {
    text: `WITH k AS (SELECT * FROM unnest($1::bigint[], $2::timestamptz[], $3::text[]) AS k(address, seen_at, peer)),
                old AS (SELECT d.id, d.online FROM devices d JOIN k ON d.protocol = 'gb26875' AND d.address = k.address ORDER BY d.id FOR NO KEY UPDATE OF d)
           UPDATE devices d SET last_seen_at = GREATEST(d.last_seen_at, k.seen_at), last_peer = k.peer, online = true,
                  online_changed_at = CASE WHEN old.online THEN d.online_changed_at ELSE k.seen_at END
             FROM k, old
            WHERE d.protocol = 'gb26875' AND d.address = k.address AND old.id = d.id
           RETURNING d.address, old.online AS was_online`,
    values: [addresses, seenAt, peers],
  };
}

/** Silent devices: online devices not heard from since the cutoff are set offline. */
export function markSilentOffline(cutoff: string, at: string): Query {
  return {
    text: `UPDATE devices SET online = false, online_changed_at = $2
            WHERE protocol = 'gb26875' AND online AND (last_seen_at IS NULL OR last_seen_at < $1)
           RETURNING address, last_seen_at`,
    values: [cutoff, at],
  };
}

/** Sets host-offline state for addresses not already offline; returns those that changed. */
export function raiseHostOffline(addresses: number[], reason: string, at: string): Query {
  return {
    text: `INSERT INTO ingest_device_health AS h (device_address, host_offline, offline_reason, changed_at)
           SELECT a, true, $2, $3 FROM unnest($1::bigint[]) AS a
           ON CONFLICT (device_address) DO UPDATE SET host_offline = true, offline_reason = EXCLUDED.offline_reason, changed_at = EXCLUDED.changed_at
            WHERE NOT h.host_offline
           RETURNING device_address`,
    values: [addresses, reason, at],
  };
}

/** Clears a silence-caused host offline; returns the addresses cleared. */
export function clearSilentOffline(addresses: number[], at: string): Query {
  return {
    text: `UPDATE ingest_device_health SET host_offline = false, offline_reason = NULL, changed_at = $2
            WHERE device_address = ANY($1::bigint[]) AND host_offline AND offline_reason = 'silent'
           RETURNING device_address`,
    values: [addresses, at],
  };
}

/** Devices eligible for duty checks: registered, belonging to an open unit. */
export function dutyCheckTargets(addresses: number[]): Query {
  return {
    text: `SELECT d.id, d.address, d.unit_id FROM devices d JOIN units u ON u.id = d.unit_id
            WHERE d.protocol = 'gb26875' AND d.address = ANY($1::bigint[]) AND u.onboarding_state = 'open'`,
    values: [addresses],
  };
}

export function insertDutyCheck(deviceId: number, unitId: number | null, serial: number, timeoutS: number, at: string): Query {
  return {
    text: `INSERT INTO duty_checks (device_id, unit_id, serial, sent_at, timeout_s) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
    values: [deviceId, unitId, serial, at, timeoutS],
  };
}

/** Checks past their timeout without an answer are missed. */
export function markMissedDutyChecks(at: string): Query {
  return {
    text: `UPDATE duty_checks c SET missed_at = $1
             FROM devices d
            WHERE d.id = c.device_id AND c.answered_at IS NULL AND c.missed_at IS NULL
              AND c.sent_at + make_interval(secs => c.timeout_s) < $1::timestamptz
           RETURNING c.id, c.device_id, d.address, c.sent_at, c.timeout_s`,
    values: [at],
  };
}

/** Duty checks operators asked for from the desk (duty_check_requests), claimed once each. */
export function claimDutyCheckRequests(at: string, limit: number): Query {
  return {
    text: `UPDATE duty_check_requests r SET processed_at = $1
             FROM (SELECT id FROM duty_check_requests WHERE processed_at IS NULL ORDER BY requested_at LIMIT $2 FOR UPDATE SKIP LOCKED) due
            WHERE r.id = due.id
           RETURNING r.id, r.unit_id`,
    values: [at, limit],
  };
}

/** The GB/T 26875 devices of units (whether connected is the server's knowledge). */
export function devicesOfUnits(unitIds: number[]): Query {
  return {
    text: `SELECT id, address, unit_id FROM devices WHERE protocol = 'gb26875' AND unit_id = ANY($1::bigint[]) ORDER BY id`,
    values: [unitIds],
  };
}

export function finishDutyCheckRequest(id: number, outcome: 'sent' | 'not_connected', dutyCheckId: number | null): Query {
  return { text: `UPDATE duty_check_requests SET outcome = $2, duty_check_id = $3 WHERE id = $1`, values: [id, outcome, dutyCheckId] };
}

/** Each device's latest stored frame: its header time label (device clock) and when it arrived. */
export function latestFrames(addresses: number[]): Query {
  return {
    text: `SELECT d.id AS device_id, d.address, f.time_label, f.received_at
             FROM devices d
             CROSS JOIN LATERAL (SELECT time_label, received_at FROM ingest_frames
                                  WHERE device_address = d.address ORDER BY received_at DESC LIMIT 1) f
            WHERE d.protocol = 'gb26875' AND d.address = ANY($1::bigint[])`,
    values: [addresses],
  };
}

export function insertClockChecks(rows: { deviceId: number[]; receivedAt: string[]; deviceTime: string[]; driftMs: number[] }, at: string): Query {
  return {
    text: `INSERT INTO device_clock_checks (device_id, checked_at, frame_received_at, device_time, drift_ms)
           SELECT d, $5, r, t, m FROM unnest($1::bigint[], $2::timestamptz[], $3::text[], $4::bigint[]) AS x(d, r, t, m)`,
    values: [rows.deviceId, rows.receivedAt, rows.deviceTime, rows.driftMs, at],
  };
}
