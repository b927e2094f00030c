-- Each project-wide rollup row's own visitor count, kept beside its sketch so that reading it costs nothing.
--
-- A timeseries reads one row of rollup_hourly or rollup_daily per answer row, and answers visitors with
-- this column instead of unioning and counting a sketch of up to 10 KB per row: hll_cardinality of a dense
-- hll(14, 5) walks 16,384 registers, and every hll_union_agg group allocates a state of over 128 KB, which
-- at 720 hours was most of an hourly timeseries' time.
--
-- A generated column: it is computed from the sketch whenever a row is written, so it never disagrees
-- with it, and the rollups job's statements stay as they are. The per-value tables (the _dims ones) have
-- none: the job rewrites thousands of their rows a day, and counting each sketch as it is written made the
-- day's recompute half as slow again; the Stats API bounds a value's visitors by its events instead
-- (docs/stats.md, "Where answers come from"). Adding the column rewrites the two tables once.

ALTER TABLE analytics.rollup_hourly
    ADD COLUMN visitor_count bigint GENERATED ALWAYS AS (round(hll_cardinality(visitors)::numeric)::bigint) STORED;
ALTER TABLE analytics.rollup_daily
    ADD COLUMN visitor_count bigint GENERATED ALWAYS AS (round(hll_cardinality(visitors)::numeric)::bigint) STORED;

COMMENT ON COLUMN analytics.rollup_hourly.visitor_count IS 'round(hll_cardinality(visitors)): the row''s own visitors.';
COMMENT ON COLUMN analytics.rollup_daily.visitor_count IS 'round(hll_cardinality(visitors)): the row''s own visitors.';
