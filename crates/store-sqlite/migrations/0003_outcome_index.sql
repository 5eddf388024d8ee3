-- Listings by outcome (the Oracle dialect filters on it by default) walk this index in
-- start-time order, and skip offset rows without reading them.
CREATE INDEX engagements_by_outcome ON engagements (tenant_id, outcome, started, id);
