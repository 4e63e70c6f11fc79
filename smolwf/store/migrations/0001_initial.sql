-- smol-wf schema v1: runs, attempts, checkpointed steps, the usage ledger, the event log.
-- Timestamps are Unix epoch milliseconds; JSON columns are checked with json_valid.

CREATE TABLE runs (
  run_id            TEXT PRIMARY KEY,
  workflow_name     TEXT NOT NULL,
  script_path       TEXT NOT NULL,
  script_sha256     TEXT NOT NULL,
  meta_json         TEXT NOT NULL CHECK (json_valid(meta_json)),
  args_json         TEXT NOT NULL CHECK (json_valid(args_json)),
  params_json       TEXT NOT NULL CHECK (json_valid(params_json)),
  status            TEXT NOT NULL
                    CHECK (status IN ('pending', 'running', 'completed', 'failed', 'cancelled')),
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
CREATE INDEX runs_created_idx ON runs (created_at DESC, run_id);
CREATE INDEX runs_status_idx ON runs (status, created_at DESC);

-- One row per execution of a run: the first run and each resume.
CREATE TABLE attempts (
  attempt_id   TEXT PRIMARY KEY,
  run_id       TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
  number       INTEGER NOT NULL,
  status       TEXT NOT NULL CHECK (status IN ('running', 'completed', 'failed', 'cancelled')),
  pid          INTEGER,
  host         TEXT,
  started_at   INTEGER NOT NULL,
  finished_at  INTEGER,
  error_json   TEXT CHECK (error_json IS NULL OR json_valid(error_json)),
  UNIQUE (run_id, number)
);

-- One row per checkpoint: an agent call (or, later, a sleep or child workflow) under its
-- content key. Usage columns sum every provider attempt made for the step, in any attempt.
CREATE TABLE steps (
  step_id             TEXT PRIMARY KEY,
  run_id              TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
  scope               TEXT NOT NULL,
  checkpoint_key      TEXT NOT NULL,
  kind                TEXT NOT NULL,
  status              TEXT NOT NULL CHECK (status IN ('running', 'completed', 'failed', 'cancelled')),
  phase               TEXT,
  provider            TEXT,
  model               TEXT,
  session_id          TEXT,
  label               TEXT,
  input_json          TEXT NOT NULL CHECK (json_valid(input_json)),
  result_json         TEXT CHECK (result_json IS NULL OR json_valid(result_json)),
  error_json          TEXT CHECK (error_json IS NULL OR json_valid(error_json)),
  calls               INTEGER NOT NULL DEFAULT 0,
  input_tokens        INTEGER NOT NULL DEFAULT 0,
  output_tokens       INTEGER NOT NULL DEFAULT 0,
  cache_read_tokens   INTEGER NOT NULL DEFAULT 0,
  cache_write_tokens  INTEGER NOT NULL DEFAULT 0,
  total_tokens        INTEGER NOT NULL DEFAULT 0,
  cost_usd            REAL,
  first_attempt_id    TEXT NOT NULL,
  last_attempt_id     TEXT NOT NULL,
  started_at          INTEGER NOT NULL,
  finished_at         INTEGER,
  UNIQUE (run_id, checkpoint_key)
);
CREATE INDEX steps_run_idx ON steps (run_id, started_at);

-- Every provider attempt, successful or not: the source of truth for spend.
CREATE TABLE usage_ledger (
  entry_id            INTEGER PRIMARY KEY,
  run_id              TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
  step_id             TEXT REFERENCES steps (step_id) ON DELETE CASCADE,
  attempt_id          TEXT NOT NULL,
  provider            TEXT NOT NULL,
  model               TEXT,
  phase               TEXT,
  outcome             TEXT NOT NULL CHECK (outcome IN ('ok', 'failed', 'invalid-output')),
  input_tokens        INTEGER NOT NULL,
  output_tokens       INTEGER NOT NULL,
  cache_read_tokens   INTEGER NOT NULL,
  cache_write_tokens  INTEGER NOT NULL,
  total_tokens        INTEGER NOT NULL,
  cost_usd            REAL,
  created_at          INTEGER NOT NULL
);
CREATE INDEX usage_ledger_run_idx ON usage_ledger (run_id, step_id);

-- Every event emitted for a run, exactly as streamed, numbered across attempts. Events are
-- stored in chunks (one per engine turn): events first_seq..last_seq, one JSON per line.
CREATE TABLE events (
  run_id      TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
  first_seq   INTEGER NOT NULL,
  last_seq    INTEGER NOT NULL,
  attempt_id  TEXT NOT NULL,
  body        TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (run_id, first_seq)
) WITHOUT ROWID;
