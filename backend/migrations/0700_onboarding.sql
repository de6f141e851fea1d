-- Onboarding (issue 10): agency kinds, acceptance checks for new construction, notification
-- rules and the per-unit notification throttle.

-- Maintenance agency (维保单位) vs operations company (运维单位): both are users with role
-- 'maintainer'; the agency's kind says who collects and who verifies on site.
ALTER TABLE maintenance_agencies
  ADD COLUMN kind text NOT NULL DEFAULT 'maintenance' CHECK (kind IN ('maintenance', 'operations', 'both'));

-- When new construction passed its acceptance check (under_construction then turns false).
ALTER TABLE units ADD COLUMN construction_accepted_at timestamptz;

-- 消防设施运行状态信息传输验收检查记录 (the notice's annex), one row per check.
CREATE TABLE acceptance_checks (
  id                          bigserial PRIMARY KEY,
  unit_id                     bigint NOT NULL REFERENCES units (id) ON DELETE CASCADE,
  checked_on                  date NOT NULL,
  device_tested               boolean NOT NULL,
  device_address              bigint,
  fire_signal_received        boolean NOT NULL,
  fault_signal_received       boolean NOT NULL,
  supervisory_signal_received boolean NOT NULL,
  feedback_signal_received    boolean NOT NULL,
  duty_check_answered         boolean NOT NULL,
  result                      text NOT NULL CHECK (result IN ('pass', 'fail')),
  inspector                   text NOT NULL,
  notes                       text NOT NULL DEFAULT '',
  recorded_by                 bigint,
  recorded_at                 timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX acceptance_checks_unit_idx ON acceptance_checks (unit_id, recorded_at);

-- Which event kinds notify whom. recipients: 'contacts' (the unit's contacts of the listed
-- roles) and/or 'agency' (the maintenance agency's phone). throttle_s: at most one message per
-- unit, kind and recipient in that window.
CREATE TABLE notification_rules (
  id             bigserial PRIMARY KEY,
  event_kind     text NOT NULL UNIQUE,
  enabled        boolean NOT NULL DEFAULT true,
  notify_contacts boolean NOT NULL DEFAULT true,
  contact_roles  text[] NOT NULL DEFAULT ARRAY['responsible', 'manager', 'control_room'],
  notify_agency  boolean NOT NULL DEFAULT true,
  throttle_s     integer NOT NULL DEFAULT 1800 CHECK (throttle_s >= 0),
  template_zh    text NOT NULL
);
INSERT INTO notification_rules (event_kind, template_zh) VALUES
  ('fault', '【消防联网】{unit}发生故障：{detail}。请尽快处理。'),
  ('host_offline', '【消防联网】{unit}的消防主机/传输装置离线：{detail}。请检查供电与通信。'),
  ('duty_check_missed', '【消防联网】{unit}消防控制室查岗未应答，请值班人员立即在岗。');

CREATE INDEX outbox_ref_idx ON outbox (ref_entity, ref_id, created_at);
