// Environment → typed configuration, parsed once at start-up. Every bad value is reported
// with the variable's name and what a good value looks like.
import { COMPLETENESS_RULES } from '@firelink/common';
import { z } from 'zod';
import { parseTrustProxy } from './trust-proxy.ts';

const port = (def: number) =>
  z.coerce.number().int().min(0, 'must be 0–65535').max(65535, 'must be 0–65535').default(def);
const bool = (def: boolean) =>
  z.enum(['1', '0', 'true', 'false', 'yes', 'no']).default(def ? '1' : '0').transform((v) => ['1', 'true', 'yes'].includes(v));

export const configSchema = z.object({
  // HTTP: API, tiles, frontend.
  PORT: port(8080),
  HOST: z.string().default('0.0.0.0'),
  // GB/T 26875.3 TCP listener.
  GB26875_PORT: port(9030),
  // Our own 6-byte GB/T 26875 address (the destination devices write); 0 accepts any.
  GB26875_CENTER_ADDRESS: z.coerce.number().int().min(0).max(2 ** 48 - 1).default(0),
  // Seconds a GB/T 26875 connection may stay silent before it is closed (devices heartbeat every tens of seconds).
  GB26875_IDLE_TIMEOUT_S: z.coerce.number().int().min(10).default(600),
  // Seconds a new GB/T 26875 connection has to send its device's first upload; a peer that
  // connects and sends nothing (or only bytes) is closed.
  GB26875_FIRST_FRAME_TIMEOUT_S: z.coerce.number().int().min(1).default(60),
  // Seconds a frame, once begun, has to arrive whole (a frame is at most 1054 bytes).
  GB26875_PARTIAL_FRAME_TIMEOUT_S: z.coerce.number().int().min(1).default(10),
  // Seconds a device that holds its address has to answer a challenge (another peer claimed the
  // address) with any valid frame before its connection is closed as dead.
  GB26875_CHALLENGE_S: z.coerce.number().int().min(1).default(10),
  // Raw frames of unregistered addresses and refused peers kept per hour: per device address,
  // and per peer IP (loopback exempt from the per-peer budget). Past them frames are still
  // answered and counted, but their bytes are not kept. 0 = none kept.
  RAW_FRAMES_PER_ADDRESS_PER_HOUR: z.coerce.number().int().min(0).default(60),
  RAW_FRAMES_PER_PEER_PER_HOUR: z.coerce.number().int().min(0).default(600),
  // Duty checks (查岗): shift length in hours; checks are sent at random times within each shift.
  DUTY_CHECK_SHIFT_HOURS: z.coerce.number().positive().max(24).default(8),
  // Duty checks per device per shift (0 = no duty checks).
  DUTY_CHECKS_PER_SHIFT: z.coerce.number().int().min(0).max(100).default(1),
  // Minutes the control-room operator has to answer a duty check (sent in type 91, 1–255).
  DUTY_CHECK_TIMEOUT_MIN: z.coerce.number().int().min(1).max(255).default(10),
  // Simultaneous GB/T 26875 connections from one IP address (0 = no limit, the default: UITDs
  // on a carrier APN or behind NAT share few addresses; loopback is always exempt).
  GB26875_MAX_CONNECTIONS_PER_IP: z.coerce.number().int().min(0).default(0),
  // GB/T 26875 ingest (listener, commit, confirm, device health, duty checks) on a thread of its
  // own, so that a device's confirm never waits on the alarm stage, the live stream or the main
  // thread's garbage collection; 0 runs it in the main thread.
  INGEST_THREAD: bool(true),
  // Days of GB/T 26875 frame receipts kept for resend detection (0 = forever).
  INGEST_RECEIPT_DAYS: z.coerce.number().int().min(0).default(7),
  // Days of raw frames (unregistered devices, unknown types) kept (0 = forever).
  RAW_FRAMES_RETENTION_DAYS: z.coerce.number().int().min(0).default(90),
  DATABASE_URL: z.string().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  // Demo mode: demo data, demo users and the simulated fleet.
  FIRELINK_DEMO: bool(true),
  // Number of simulated UITDs the demo runs (0 = none).
  FIRELINK_SIM_UNITS: z.coerce.number().int().min(0).max(100000).default(50),
  // Seconds a device may stay silent before it is offline (host offline, 主机关机).
  DEVICE_OFFLINE_AFTER_S: z.coerce.number().int().min(5).default(180),
  // Seconds an unacknowledged fire alarm waits before it escalates.
  FIRE_ESCALATE_AFTER_S: z.coerce.number().int().min(1).default(30),
  // Where verified fires are forwarded (119 command center webhook); unset = recorded only.
  FORWARD_119_URL: z.string().url().optional(),
  // Session secret material comes only from the environment; generated per run in demo mode.
  SESSION_TTL_HOURS: z.coerce.number().positive().default(12),
  // Bearer token a Prometheus scraper sends to GET /metrics; unset = /metrics answers only
  // direct loopback callers (no proxy in between).
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters (e.g. openssl rand -hex 24)').optional(),
  // A cookie session kept in use (POST /api/auth/refresh, which the wall display calls) slides
  // forward by SESSION_TTL_HOURS, but never lives longer than this after its login.
  SESSION_MAX_DAYS: z.coerce.number().positive().default(30),
  // Reverse proxies whose X-Forwarded-For is believed: comma-separated addresses, CIDR subnets or
  // loopback/linklocal/uniquelocal. Unset = none: the client is the TCP peer (audit log, login
  // throttling and per-IP limits use it), so no caller can choose its own address.
  TRUST_PROXY: z.string().optional().refine((v) => trustProxyValid(v), {
    message: 'comma-separated addresses, CIDR subnets or loopback, linklocal, uniquelocal (e.g. loopback or 10.1.2.3,10.8.0.0/16)',
  }),

  // Time an upgrade request (WebSocket) has to authenticate before it is answered 503 and closed, ms.
  UPGRADE_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  // Time an HTTP request may take to arrive whole (headers and body), seconds; a client that
  // trickles its request is answered 408 and closed. 60 s carries a 10 MB upload at 170 KB/s.
  HTTP_REQUEST_TIMEOUT_S: z.coerce.number().int().min(1).max(3600).default(60),
  // Time the request headers may take, seconds (at most HTTP_REQUEST_TIMEOUT_S).
  HTTP_HEADERS_TIMEOUT_S: z.coerce.number().int().min(1).max(3600).default(15),

  // ── Live stream (WebSocket /ws) ──
  // Open connections in total; further upgrades get 503.
  LIVE_MAX_CONNECTIONS: z.coerce.number().int().min(1).default(1000),
  // Open (and authenticating) connections per user; 0 = no limit. A wall account may drive several screens.
  LIVE_MAX_CONNECTIONS_PER_USER: z.coerce.number().int().min(0).default(100),
  // Open (and authenticating) connections per client IP (see TRUST_PROXY); 0 = no limit.
  LIVE_MAX_CONNECTIONS_PER_IP: z.coerce.number().int().min(0).default(500),
  // Messages a client may send per second on average (subscribe, ping), and the burst allowed
  // above it; a client over the limit is closed with 4429.
  LIVE_MESSAGES_PER_S: z.coerce.number().positive().default(5),
  LIVE_MESSAGE_BURST: z.coerce.number().int().min(1).default(20),

  // ── Onboarding and notifications ──
  // Comma-separated completeness rule ids to switch off (mandatory rules such as point_totals stay on).
  ONBOARDING_RULES_DISABLED: z
    .string()
    .default('')
    .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
    .refine((ids) => ids.every((id) => COMPLETENESS_RULES.some((r) => r.id === id)), {
      message: `unknown rule id; known: ${COMPLETENESS_RULES.map((r) => r.id).join(', ')}`,
    }),
  // Days after opening by which point drawings (positions on floor plans) are due.
  ONBOARDING_DRAWINGS_DAYS: z.coerce.number().int().min(1).max(3650).default(90),
  // SMS gateway endpoint (HTTP POST JSON {to, text}); unset = messages stay queued in the outbox.
  SMS_GATEWAY_URL: z.string().url().optional(),
  // Bearer token for the SMS gateway, if it wants one.
  SMS_GATEWAY_TOKEN: z.string().optional(),
  // Outbox: attempts before a message is marked failed, and the first retry delay (doubles each time).
  SMS_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(6),
  SMS_RETRY_BASE_MS: z.coerce.number().int().min(10).default(30_000),
  // How often the outbox worker looks for due messages.
  SMS_POLL_MS: z.coerce.number().int().min(10).default(5_000),

  // ── Analytics and reports ──
  // How often the analytics rollups (H3 cells, rates) are refreshed, ms.
  ANALYTICS_REFRESH_MS: z.coerce.number().int().min(100).default(30_000),
  // Chromium used to render PDF reports (never downloaded).
  CHROMIUM_PATH: z.string().default('/usr/bin/chromium'),

  // ── Duty operations ──
  // Daily communication test with the 119 terminal (POST to FORWARD_119_URL), HH:MM Asia/Shanghai.
  DUTY_COMM_TEST_AT: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time of day HH:MM (Asia/Shanghai), e.g. 09:00').default('09:00'),
  // How long the 119 terminal has to answer a communication test, ms.
  DUTY_COMM_TEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
  // Seconds a staffed post (someone rostered now) may have no operator desk connected before
  // a "center unattended" alarm is raised and the duty chief alerted (0 = never).
  CENTER_UNATTENDED_AFTER_S: z.coerce.number().int().min(0).max(86_400).default(300),
  // Whether a post without a connected wall display is unattended too.
  CENTER_UNATTENDED_WALL: bool(false),
  // How often presence, requested duty checks' alerts and overdue deadlines are checked, ms.
  DUTY_WATCH_MS: z.coerce.number().int().min(50).default(10_000),

  // ── Supervision (督办) ──
  // Hours an unresolved host-offline (主机关机/离线) alarm may stay open before a follow-up task is made.
  SUPERVISION_HOST_OFFLINE_HOURS: z.coerce.number().positive().max(24 * 365).default(24),
  // Hours an unresolved off-duty (脱岗, missed duty check) alarm may stay open before a task is made.
  SUPERVISION_OFF_DUTY_HOURS: z.coerce.number().positive().max(24 * 365).default(24),
  // Hours a fault alarm may stay open before its repair is overdue (故障督办).
  SUPERVISION_FAULT_REPAIR_HOURS: z.coerce.number().positive().max(24 * 365).default(72),
  // Verified false alarms of one unit within SUPERVISION_FALSE_ALARM_DAYS that make a task.
  SUPERVISION_FALSE_ALARMS: z.coerce.number().int().min(1).max(1000).default(3),
  SUPERVISION_FALSE_ALARM_DAYS: z.coerce.number().int().min(1).max(366).default(30),
  // Days a point may stay disabled (屏蔽) before a task is made.
  SUPERVISION_DISABLED_POINT_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  // Days a supervisor has to finish a task; past them it escalates to their chief.
  SUPERVISION_TASK_DAYS: z.coerce.number().int().min(1).max(365).default(7),
  // How often the task rules and the escalation sweep run, ms (0 = never).
  SUPERVISION_EVAL_MS: z.coerce.number().int().min(0).default(300_000),
  // Where scheduled supervision reports are delivered (HTTP POST JSON, e.g. the bureau's
  // document system); unset = kept for download at /supervise, the outbox row reads "not configured".
  SUPERVISION_REPORT_URL: z.string().url().optional(),
  // Bearer token for that endpoint, if it wants one.
  SUPERVISION_REPORT_TOKEN: z.string().optional(),

  // ── Private database cluster (npm start without DATABASE_URL) ──
  // Port of the private PostgreSQL under .data/pg; unset = a free port.
  FIRELINK_PG_PORT: port(0),
});

function trustProxyValid(v: string | undefined): boolean {
  try {
    parseTrustProxy(v);
    return true;
  } catch {
    return false;
  }
}

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return parseEnv(configSchema, env);
}

/** Parses the environment with `schema`; an empty variable (`X=` in a .env file, `${X:-}` in compose) means unset. */
function parseEnv<S extends z.ZodTypeAny>(schema: S, env: NodeJS.ProcessEnv): z.infer<S> {
  const given = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''));
  const r = schema.safeParse(given);
  if (!r.success) {
    const lines = r.error.issues.map((i) => {
      const key = String(i.path[0]);
      return `${key}=${JSON.stringify(env[key])}: ${i.message}`;
    });
    throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  return r.data;
}

export const BUILD_VERSION = process.env.FIRELINK_BUILD ?? '0.1.0-dev';
