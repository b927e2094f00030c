-- Per-value rollups over aligned blocks of 2, 4, 8 and 16 days, for breakdowns over long ranges.
--
-- A breakdown unions one visitors sketch per value and piece of its range, and postgresql-hll unpacks every
-- dense sketch's 16,384 registers to union it, about 60 µs each on a 2-core machine whatever the sketch
-- holds. Over 30 daily rows that is 300 sketches for ten values, 18 ms before anything else. A block of
-- 2^k days starts on a day whose number since 1970-01-01 is a multiple of 2^k, so a 30-day range is at most
-- eight pieces (blocks and single days; SluiceRollups' RollupSpan.cover), and its ten values 80 sketches.
--
-- A block's rows are the union of its two halves' rows (a 2-day block's, of its two days' rows in
-- rollup_daily_dims), per dimension and value: visitors is the union of their sketches, the other measures
-- are sums. The rollups job rewrites the four blocks that hold each day it recomputed, shortest first, after
-- the days themselves; the retention job drops the blocks that end before its horizon and rewrites those
-- that straddle it. Blocks never reach past the days that exist: a block over days not yet seen holds what
-- has been seen.
--
-- The rows below are built from the daily rows already there, so that the Stats API can read blocks as soon
-- as this migration commits.
--
-- Citus: distributed by project_id like the other rollup tables.

CREATE TABLE analytics.rollup_span_dims (
    project_id       bigint      NOT NULL,
    dimension        text        NOT NULL CHECK (dimension IN (
                         'event', 'page', 'entry_page', 'exit_page', 'referrer', 'utm_source', 'utm_medium',
                         'utm_campaign', 'country', 'browser', 'os', 'device')),
    span_days        smallint    NOT NULL CHECK (span_days IN (2, 4, 8, 16)),
    first_day        date        NOT NULL CHECK ((first_day - DATE '1970-01-01') % span_days = 0),
    value            text        NOT NULL,
    visitors         hll(14, 5)  NOT NULL,
    pageviews        bigint      NOT NULL,
    events           bigint      NOT NULL,
    visits           bigint      NOT NULL,
    bounces          bigint      NOT NULL,
    duration_us      bigint      NOT NULL,
    visit_pageviews  bigint      NOT NULL,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, dimension, span_days, first_day, value)
);

-- No second index by value, unlike rollup_daily_dims (migration 0012): a range reads one row per value and
-- block, so a breakdown's candidates are found by the primary key alone, one entry per value and block. With
-- no index to choose from, a statement over rows written a moment ago (no statistics yet) cannot be planned
-- as a scan of a whole dimension by value either.

COMMENT ON TABLE analytics.rollup_span_dims IS
    'rollup_daily_dims over aligned blocks of span_days (2, 4, 8, 16) days from first_day: each block the '
    'union of its two halves. Rewritten by the rollups job after the days it recomputes.';

INSERT INTO analytics.rollup_span_dims (project_id, dimension, span_days, first_day, value, visitors, pageviews,
                                        events, visits, bounces, duration_us, visit_pageviews)
SELECT project_id, dimension, 2, day - ((day - DATE '1970-01-01') % 2 + 2) % 2, value, hll_union_agg(visitors),
       sum(pageviews), sum(events), sum(visits), sum(bounces), sum(duration_us), sum(visit_pageviews)
FROM analytics.rollup_daily_dims
GROUP BY project_id, dimension, 4, value;

DO $$
DECLARE
    length smallint;
BEGIN
    FOREACH length IN ARRAY ARRAY[4, 8, 16]::smallint[] LOOP
        INSERT INTO analytics.rollup_span_dims (project_id, dimension, span_days, first_day, value, visitors,
                                                pageviews, events, visits, bounces, duration_us, visit_pageviews)
        SELECT project_id, dimension, length,
               first_day - ((first_day - DATE '1970-01-01') % length + length) % length, value,
               hll_union_agg(visitors), sum(pageviews), sum(events), sum(visits), sum(bounces), sum(duration_us),
               sum(visit_pageviews)
        FROM analytics.rollup_span_dims
        WHERE span_days = length / 2
        GROUP BY project_id, dimension, 4, value;
    END LOOP;
END
$$;
