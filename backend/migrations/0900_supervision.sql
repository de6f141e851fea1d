-- Supervision (督办): each unit's responsible supervisor, each supervisor's chief, and the
-- follow-up tasks that rules and people create for supervisors, with their steps.

-- The responsible supervisor (防火监督员) of a unit. Reassignments are in the audit log.
CREATE TABLE supervision_assignments (
  unit_id        bigint PRIMARY KEY REFERENCES units (id) ON DELETE CASCADE,
  supervisor_id  bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  assigned_at    timestamptz NOT NULL DEFAULT now(),
  assigned_by    bigint REFERENCES users (id) ON DELETE SET NULL
);
CREATE INDEX supervision_assignments_supervisor_idx ON supervision_assignments (supervisor_id);

-- A supervisor's chief: overdue tasks escalate to them. Kept apart from users on purpose.
CREATE TABLE supervisor_chiefs (
  supervisor_id  bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  chief_id       bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  set_at         timestamptz NOT NULL DEFAULT now(),
  CHECK (supervisor_id <> chief_id)
);

CREATE TABLE supervision_tasks (
  id             bigserial PRIMARY KEY,
  unit_id        bigint NOT NULL REFERENCES units (id) ON DELETE CASCADE,
  reason         text NOT NULL CHECK (reason IN ('host_offline', 'off_duty', 'fault_overdue', 'repeated_false_alarms',
                                                 'points_disabled', 'drawings_overdue', 'manual')),
  origin         text NOT NULL CHECK (origin IN ('rule', 'manual')),
  -- {alarmIds, eventIds, pointIds, figures}: what made the rule fire.
  evidence       jsonb NOT NULL DEFAULT '{}'::jsonb,
  -- Sorted ids of the evidence: a task closed on this evidence is not raised again by its rule.
  evidence_key   text NOT NULL DEFAULT '',
  detail         text NOT NULL DEFAULT '',
  state          text NOT NULL DEFAULT 'open'
                 CHECK (state IN ('open', 'in_progress', 'checked', 'rectified', 'case_opened', 'closed')),
  assignee_id    bigint REFERENCES users (id) ON DELETE SET NULL,
  due_at         timestamptz NOT NULL,
  escalated_at   timestamptz,
  escalated_to   bigint REFERENCES users (id) ON DELETE SET NULL,
  created_by     bigint REFERENCES users (id) ON DELETE SET NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  closed_at      timestamptz,
  version        integer NOT NULL DEFAULT 1
);
-- One task per unit and rule reason until it is closed: rule runs are idempotent.
CREATE UNIQUE INDEX supervision_tasks_one_open_idx ON supervision_tasks (unit_id, reason) WHERE state <> 'closed' AND origin = 'rule';
CREATE INDEX supervision_tasks_closed_key_idx ON supervision_tasks (unit_id, reason, evidence_key) WHERE state = 'closed';
CREATE INDEX supervision_tasks_assignee_idx ON supervision_tasks (assignee_id, state, due_at);
CREATE INDEX supervision_tasks_escalated_to_idx ON supervision_tasks (escalated_to) WHERE escalated_to IS NOT NULL;
-- The escalation sweep: pending tasks by deadline.
CREATE INDEX supervision_tasks_pending_due_idx ON supervision_tasks (due_at)
  WHERE state IN ('open', 'in_progress', 'checked') AND escalated_at IS NULL;

CREATE TABLE supervision_task_steps (
  id          bigserial PRIMARY KEY,
  task_id     bigint NOT NULL REFERENCES supervision_tasks (id) ON DELETE CASCADE,
  kind        text NOT NULL CHECK (kind IN ('created', 'transition', 'note', 'escalated', 'reassigned')),
  from_state  text,
  to_state    text,
  actor_id    bigint REFERENCES users (id) ON DELETE SET NULL,
  actor_name  text NOT NULL,
  note        text NOT NULL DEFAULT '',
  at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX supervision_task_steps_task_idx ON supervision_task_steps (task_id, at);

-- The rules read unresolved alarms by kind, verified false alarms by time, disabled points.
CREATE INDEX IF NOT EXISTS alarms_unresolved_kind_idx ON alarms (kind, opened_at) WHERE state <> 'closed' AND cleared_at IS NULL;
CREATE INDEX IF NOT EXISTS alarms_false_verified_idx ON alarms (verified_at) WHERE verdict = 'false_alarm';
CREATE INDEX IF NOT EXISTS points_disabled_idx ON points (state_changed_at) WHERE state = 'disabled';
