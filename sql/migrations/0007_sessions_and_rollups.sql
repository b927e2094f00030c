-- Visits and the pre-aggregated numbers that dashboards read, and the marks that say what to recompute.
--
--   analytics.sessions            one row per visit (30 minutes without an event from the person ends it)
--   analytics.rollup_hourly       per project and UTC hour: visitors (hll), pageviews, events, visits, …
--   analytics.rollup_daily        the same per UTC day, unioned from the day's 24 hourly rows
--   analytics.rollup_hourly_dims  the same measures per dimension value (page, referrer, country, …)
--   analytics.rollup_daily_dims
--   sluice.event_marks            (project, hour) whose events changed: written by the loader in the
--                                 transaction of the rows, read by the sessions job
--   sluice.rollup_marks           (project, hour) whose buckets must be recomputed: written by the
--                                 sessions job, read by the rollups job
--
-- The definitions are in docs/stats.md, the mechanics in docs/architecture.md ("Sessions and rollups").
--
-- Citus: every table is keyed by project_id first, and every query of the jobs filters on one project_id,
-- so all of them can be distributed by project_id and co-located with analytics.events.

-- Unique visitors are HyperLogLog sketches (postgresql-hll, Citus' own design for rollups): a range of
-- buckets is counted by unioning their sketches. The extension is a separate package on the database
-- server; without it nothing of this file is applied and migrate says which package to install.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'hll') THEN
        RAISE EXCEPTION USING
            MESSAGE = format(
                'the database server lacks the PostgreSQL extension hll: install the package postgresql-%s-hll '
                'on it (Debian, Ubuntu; elsewhere build postgresql-hll from source), then run sluice migrate again',
                current_setting('server_version_num')::int / 10000
            );
    END IF;
    BEGIN
        CREATE EXTENSION IF NOT EXISTS hll;
    EXCEPTION WHEN insufficient_privilege THEN
        RAISE EXCEPTION USING
            MESSAGE = 'the extension hll is installed on the server but only a superuser may create it: run '
                'CREATE EXTENSION hll; in this database as one, then run sluice migrate again';
    END;
END
$$;

-- One row per visit. Derived by the sessions job from the counted events (track, page and screen calls
-- that are not from bots) of one person (coalesce(user_id, anonymous_id)), ordered by (timestamp,
-- message_id): an event more than 30 minutes after the visit's last event starts a new visit.
CREATE TABLE analytics.sessions (
    project_id     bigint      NOT NULL,
    person_id      text        NOT NULL,
    session_start  timestamptz NOT NULL,
    session_end    timestamptz NOT NULL,
    -- session_end - session_start in microseconds, so that sums over many visits are exact.
    duration_us    bigint      NOT NULL CHECK (duration_us >= 0),
    pageviews      integer     NOT NULL CHECK (pageviews >= 0),
    events         integer     NOT NULL CHECK (events >= 1),
    -- page_path of the first and of the last page event; NULL when the visit has no page event.
    entry_page     text,
    exit_page      text,
    -- Of the visit's first event.
    referrer_host  text,
    utm_source     text,
    utm_medium     text,
    utm_campaign   text,
    country        text,
    browser        text,
    os             text,
    device_type    text,
    -- One page event and nothing else.
    is_bounce      boolean     NOT NULL,
    -- The distinct page_path of its page events ('(none)' for a page event without one) and the distinct
    -- names of its track events, so the rollups of the page and event dimensions need no join to events.
    pages          text[]      NOT NULL DEFAULT '{}',
    event_names    text[]      NOT NULL DEFAULT '{}',
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, person_id, session_start),
    CHECK (session_end >= session_start)
);

CREATE INDEX sessions_project_start ON analytics.sessions (project_id, session_start);
-- The visits of a day or longer (rare: a tab that pings for hours), so that finding the visits that overlap
-- a time range can bound its scan of sessions_project_start to a day before the range.
CREATE INDEX sessions_project_long ON analytics.sessions (project_id, session_start)
    WHERE duration_us >= 86400000000;

COMMENT ON TABLE analytics.sessions IS
    'One row per visit (30 minutes without a counted event ends it); rebuilt incrementally by the sessions job.';

-- The measures of a bucket (see docs/stats.md):
--   by event time:  visitors (hll of persons with a counted event), pageviews, events
--   by visit start: visits, bounces, duration_us (sum), visit_pageviews (sum of the visits' pageviews)
-- Only buckets with a counted event or a visit have a row; a dashboard shows zero for a missing one.
-- updated_at is the row's own update marker: a recompute rewrites only the rows of the buckets it touches.
CREATE TABLE analytics.rollup_hourly (
    project_id       bigint      NOT NULL,
    -- The UTC hour, e.g. 2026-11-01 13:00:00+00.
    bucket           timestamptz NOT NULL,
    visitors         hll(14, 5)  NOT NULL,
    pageviews        bigint      NOT NULL,
    events           bigint      NOT NULL,
    visits           bigint      NOT NULL,
    bounces          bigint      NOT NULL,
    duration_us      bigint      NOT NULL,
    visit_pageviews  bigint      NOT NULL,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, bucket)
);

CREATE TABLE analytics.rollup_daily (
    project_id       bigint      NOT NULL,
    -- The UTC day.
    day              date        NOT NULL,
    visitors         hll(14, 5)  NOT NULL,
    pageviews        bigint      NOT NULL,
    events           bigint      NOT NULL,
    visits           bigint      NOT NULL,
    bounces          bigint      NOT NULL,
    duration_us      bigint      NOT NULL,
    visit_pageviews  bigint      NOT NULL,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, day)
);

-- Per dimension value. Session dimensions (entry_page, exit_page, referrer, utm_source, utm_medium,
-- utm_campaign, country, browser, os, device) count the visits started in the bucket with that value, and
-- their persons, pageviews and events. Event dimensions (page, event) count the matching events in the
-- bucket and their persons by event time, and the visits started in the bucket that hold a matching event.
-- A NULL value is stored as '(none)'.
CREATE TABLE analytics.rollup_hourly_dims (
    project_id       bigint      NOT NULL,
    dimension        text        NOT NULL CHECK (dimension IN (
                         'event', 'page', 'entry_page', 'exit_page', 'referrer', 'utm_source', 'utm_medium',
                         'utm_campaign', 'country', 'browser', 'os', 'device')),
    bucket           timestamptz NOT NULL,
    value            text        NOT NULL,
    visitors         hll(14, 5)  NOT NULL,
    pageviews        bigint      NOT NULL,
    events           bigint      NOT NULL,
    visits           bigint      NOT NULL,
    bounces          bigint      NOT NULL,
    duration_us      bigint      NOT NULL,
    visit_pageviews  bigint      NOT NULL,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, dimension, bucket, value)
);

CREATE TABLE analytics.rollup_daily_dims (
    project_id       bigint      NOT NULL,
    dimension        text        NOT NULL CHECK (dimension IN (
                         'event', 'page', 'entry_page', 'exit_page', 'referrer', 'utm_source', 'utm_medium',
                         'utm_campaign', 'country', 'browser', 'os', 'device')),
    day              date        NOT NULL,
    value            text        NOT NULL,
    visitors         hll(14, 5)  NOT NULL,
    pageviews        bigint      NOT NULL,
    events           bigint      NOT NULL,
    visits           bigint      NOT NULL,
    bounces          bigint      NOT NULL,
    duration_us      bigint      NOT NULL,
    visit_pageviews  bigint      NOT NULL,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, dimension, day, value)
);

COMMENT ON TABLE analytics.rollup_hourly IS
    'Per project and UTC hour: visitors (hll(14,5)), pageviews, events by event time; visits, bounces, '
    'duration_us, visit_pageviews by visit start. Recomputed by the rollups job for marked hours only.';
COMMENT ON TABLE analytics.rollup_daily IS 'rollup_hourly per UTC day (the union of its 24 hourly rows).';
COMMENT ON TABLE analytics.rollup_hourly_dims IS
    'rollup_hourly per dimension value; NULL values are stored as ''(none)''.';
COMMENT ON TABLE analytics.rollup_daily_dims IS 'rollup_hourly_dims per UTC day.';

-- Marks: the (project, hour) whose rows changed. Append-only and without a unique key, so writing one
-- never waits on the locks of a job that is reading or deleting others; the same hour may be marked many
-- times. A job reads marks up to some id, does the work, and deletes exactly the ids it read in the
-- transaction that did the work, so a failed run leaves its marks for the next one.
CREATE TABLE sluice.event_marks (
    id          bigserial   PRIMARY KEY,
    project_id  bigint      NOT NULL,
    -- The start of the UTC hour.
    hour        timestamptz NOT NULL,
    marked_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sluice.rollup_marks (
    id          bigserial   PRIMARY KEY,
    project_id  bigint      NOT NULL,
    hour        timestamptz NOT NULL,
    marked_at   timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE sluice.event_marks IS
    'Hours whose events changed (loader, partitions job), for the sessions job; append-only, deleted once done.';
COMMENT ON TABLE sluice.rollup_marks IS
    'Hours whose rollup buckets must be recomputed (sessions job), for the rollups job; deleted once done.';
