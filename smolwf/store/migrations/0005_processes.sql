-- smol-wf schema v5: the guarded process groups an attempt has running, so that a takeover
-- of the run after its owner died can verify and stop what the dead owner left.

CREATE TABLE processes (
  run_id       TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
  pid          INTEGER NOT NULL,
  start_ticks  INTEGER NOT NULL,
  boot_id      TEXT NOT NULL,
  host         TEXT NOT NULL,
  attempt_id   TEXT NOT NULL,
  started_at   INTEGER NOT NULL,
  PRIMARY KEY (run_id, pid)
);
