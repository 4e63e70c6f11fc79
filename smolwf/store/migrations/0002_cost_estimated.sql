-- smol-wf schema v2: whether a cost was reported by the CLI or estimated from token prices.
-- 1 when cost_usd is (partly) an estimate; rows written before v2 only held reported costs.

ALTER TABLE steps ADD COLUMN cost_estimated INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_ledger ADD COLUMN cost_estimated INTEGER NOT NULL DEFAULT 0;
