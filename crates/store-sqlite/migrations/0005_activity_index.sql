-- The explorer's overview counts a tenant's engagements per day by channel types and
-- outcome (interlog_store::Engagements::activity). This index holds every column that
-- reads, in start order, so a day's count walks a slice of it and never the table.
CREATE INDEX engagements_by_activity ON engagements (tenant_id, started, channels, outcome);
