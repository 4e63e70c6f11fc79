-- smol-wf schema v4: a person in the loop. Runs and attempts gain the state `waiting`
-- (SQLite cannot change a CHECK constraint, so both tables are rebuilt; db.py runs
-- migrations with foreign keys off, as SQLite's table-rebuild procedure requires), and
-- every approval or signal a workflow waits for is a row of `human_requests`.

CREATE TABLE runs_v2 (
  run_id            TEXT PRIMARY KEY,
  workflow_name     TEXT NOT NULL,
  script_path       TEXT NOT NULL,
  script_sha256     TEXT NOT NULL,
  meta_json         TEXT NOT NULL CHECK (json_valid(meta_json)),
  args_json         TEXT NOT NULL CHECK (json_valid(args_json)),
  params_json       TEXT NOT NULL CHECK (json_valid(params_json)),
  status            TEXT NOT NULL
                    CHECK (status IN ('pending', 'running', 'waiting', 'completed', 'failed',
                                      'cancelled')),
  result_json       TEXT CHECK (result_json IS NULL OR json_valid(result_json)),
  error_json        TEXT CHECK (error_json IS NULL OR json_valid(error_json)),
  owner_pid         INTEGER,
  owner_host        TEXT,
  owner_started_at  INTEGER,
  heartbeat_at      INTEGER,
  created_at        INTEGER NOT NULL,
  updated_at        INTEGER NOT NULL,
  finished_at       INTEGER
);
INSERT INTO runs_v2 SELECT run_id, workflow_name, script_path, script_sha256, meta_json,
  args_json, params_json, status, result_json, error_json, owner_pid, owner_host,
  owner_started_at, heartbeat_at, created_at, updated_at, finished_at FROM runs;
DROP TABLE runs;
ALTER TABLE runs_v2 RENAME TO runs;
CREATE INDEX runs_created_idx ON runs (created_at DESC, run_id);
CREATE INDEX runs_status_idx ON runs (status, created_at DESC);

-- An attempt that ended because only a person could move the run on (--on-wait exit)
-- ends `waiting`.
CREATE TABLE attempts_v2 (
  attempt_id   TEXT PRIMARY KEY,
  run_id       TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
  number       INTEGER NOT NULL,
  status       TEXT NOT NULL
               CHECK (status IN ('running', 'waiting', 'completed', 'failed', 'cancelled')),
  pid          INTEGER,
  host         TEXT,
  started_at   INTEGER NOT NULL,
  finished_at  INTEGER,
  error_json   TEXT CHECK (error_json IS NULL OR json_valid(error_json)),
  UNIQUE (run_id, number)
);
INSERT INTO attempts_v2 SELECT attempt_id, run_id, number, status, pid, host, started_at,
  finished_at, error_json FROM attempts;
DROP TABLE attempts;
ALTER TABLE attempts_v2 RENAME TO attempts;

-- One row per time a workflow asked a person: requestApproval() or waitForSignal(). The
-- step (steps.step_id) is the checkpoint; a step asks again only when its last request
-- was closed (its run ended) or a signal timed out. `pending` rows are answered by
-- another process in one IMMEDIATE transaction (WHERE status = 'pending': one answer wins).
CREATE TABLE human_requests (
  request_id   TEXT PRIMARY KEY,
  run_id       TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
  step_id      TEXT NOT NULL,
  kind         TEXT NOT NULL CHECK (kind IN ('approval', 'signal')),
  status       TEXT NOT NULL CHECK (status IN ('pending', 'answered', 'timed_out', 'closed')),
  name         TEXT,
  label        TEXT,
  message      TEXT,
  schema_json  TEXT CHECK (schema_json IS NULL OR json_valid(schema_json)),
  on_timeout   TEXT CHECK (on_timeout IS NULL OR on_timeout IN ('approve', 'deny')),
  deadline_at  INTEGER,
  created_at   INTEGER NOT NULL,
  answer_json  TEXT CHECK (answer_json IS NULL OR json_valid(answer_json)),
  answered_by  TEXT,
  answered_at  INTEGER
);
CREATE INDEX human_requests_pending_idx ON human_requests (status, created_at);
CREATE INDEX human_requests_step_idx ON human_requests (run_id, step_id, created_at);
