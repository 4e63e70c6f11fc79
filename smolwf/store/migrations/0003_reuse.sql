-- smol-wf schema v3: answers reused across runs (fork, cache, cassettes).
-- cache_key: set on agent steps a later run may reuse (no isolation, read-only), so the
-- cache finds a finished answer of any run by one index lookup.
-- origin_json: where a step's answer came from when no provider was called for it in
-- this run: {"source": "fork"|"cache"|"cassette", "runId"?, "stepId"?, "file"?}.

ALTER TABLE steps ADD COLUMN cache_key TEXT;
ALTER TABLE steps ADD COLUMN origin_json TEXT CHECK (origin_json IS NULL OR json_valid(origin_json));
CREATE INDEX steps_cache_idx ON steps (cache_key, finished_at) WHERE cache_key IS NOT NULL;
