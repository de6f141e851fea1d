-- SMS digests (issue #23): one message per recipient and region gathers what happens while it
-- waits (backend/src/notifications/domain/digest.ts). hold_key is set while a message is open
-- for merging and cleared when the worker claims it; at most one open message per key.
ALTER TABLE outbox ADD COLUMN IF NOT EXISTS hold_key text;
CREATE UNIQUE INDEX IF NOT EXISTS outbox_hold_key_idx ON outbox (channel, hold_key) WHERE hold_key IS NOT NULL;
-- A recipient's messages of the day (rate limit, daily cap, throttle of repeats).
CREATE INDEX IF NOT EXISTS outbox_recipient_created_idx ON outbox (recipient, created_at) WHERE channel = 'sms';

-- Power faults reach the unit's people too (a district power cut is when they matter most);
-- the fault is named in the text ({detail}).
INSERT INTO notification_rules (event_kind, template_zh) VALUES
  ('mains_power_fault', '【消防联网】{unit}消防电源故障：{detail}。请尽快处理。'),
  ('backup_power_fault', '【消防联网】{unit}消防电源故障：{detail}。请尽快处理。')
ON CONFLICT (event_kind) DO NOTHING;
