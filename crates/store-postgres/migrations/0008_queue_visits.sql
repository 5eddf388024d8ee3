-- A queue's visits by start time, with their status in the index: the overview of a queue
-- (`Analytics::queue_visits`) counts them per bucket from an index-only scan of the queue's
-- slice, not from every engagement's figures rows in the range. Only visit rows have a
-- queue.
CREATE INDEX figures_by_queue ON figures (tenant_id, queue, started) INCLUDE (status)
    WHERE queue IS NOT NULL;
