-- Scale-out (README "Scale-out"): the screens connected to each API node, so that the duty
-- room's presence watch ("nobody watching") sees every operator's desk whichever node it is
-- connected to. Each API node rewrites its own row every DUTY_WATCH_MS; a row not refreshed
-- for a few periods (the node died) no longer counts. The single-process server does not write it.
CREATE TABLE cluster_presence (
  node      text PRIMARY KEY,
  -- [{ principal: { userId, username, role, scope }, view: 'desk' | 'wall' | null }]
  screens   jsonb NOT NULL,
  seen_at   timestamptz NOT NULL DEFAULT now()
);
