-- Ingest (GB/T 26875.3): frame receipts for idempotency, last known status per
-- system/component/UITD so raising and clearing transitions survive restarts, device
-- power/health state, unregistered devices, and duty-check policy columns.

-- One row per stored upload frame. A resend (same device, serial, time label) finds its
-- receipt and stores nothing new; it is confirmed again.
CREATE TABLE ingest_frames (
  device_address  bigint NOT NULL,
  serial          integer NOT NULL,
  -- The header's time label as the device sent it (ISO local text, may be invalid).
  time_label      text NOT NULL,
  received_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (device_address, serial, time_label)
);
CREATE INDEX ingest_frames_received_idx ON ingest_frames USING brin (received_at);

-- Last status word per (device, ADU type, system, component): 1 = facility system,
-- 2 = component, 21 = the UITD itself (system/component 0).
CREATE TABLE ingest_last_status (
  device_address     bigint NOT NULL,
  adu_type           smallint NOT NULL,
  system_type        smallint NOT NULL,
  system_address     smallint NOT NULL,
  component_address  bigint NOT NULL,
  status             integer NOT NULL,
  updated_at         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (device_address, adu_type, system_type, system_address, component_address)
);

-- Health per device address (registered or not). offline_reason: 'silent' (no traffic
-- within DEVICE_OFFLINE_AFTER_S) or 'power' (mains and backup power lost).
CREATE TABLE ingest_device_health (
  device_address   bigint PRIMARY KEY,
  host_offline     boolean NOT NULL DEFAULT false,
  offline_reason   text CHECK (offline_reason IN ('silent', 'power')),
  changed_at       timestamptz NOT NULL DEFAULT now(),
  power_lost       boolean NOT NULL DEFAULT false
);

-- Addresses that sent frames but are not in `devices`: surfaced, never dropped.
CREATE TABLE ingest_unregistered_devices (
  device_address   bigint PRIMARY KEY,
  first_seen_at    timestamptz NOT NULL DEFAULT now(),
  last_seen_at     timestamptz NOT NULL DEFAULT now(),
  last_event_at    timestamptz NOT NULL DEFAULT now(),
  frames           bigint NOT NULL DEFAULT 1,
  last_peer        text
);

CREATE INDEX devices_online_seen_idx ON devices (online, last_seen_at);
CREATE INDEX duty_checks_sent_idx ON duty_checks (sent_at);
