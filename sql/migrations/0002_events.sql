-- analytics.events: every stored Segment call, one partition per UTC day plus a default partition.
--
-- Rows are loaded with binary COPY in the column order of EventRow.columns (Sources/SluiceCore/EventRow.swift);
-- change both together. The daily partitions are created by `sluice jobs run partitions`; a row whose day
-- has no partition yet lands in analytics.events_default and is moved out when that day is created.
--
-- No primary key or unique index: a unique index on a partitioned table must contain the partition key,
-- so it could not enforce one messageId per project anyway, and every B-tree costs COPY throughput
-- (docs/architecture.md has the measurements). Duplicates are dropped before the load, in the ingest
-- pipeline's dedupe window.
--
-- Citus: distributed by project_id (SELECT create_distributed_table('analytics.events', 'project_id')).

CREATE TABLE analytics.events (
    project_id     bigint      NOT NULL,
    message_id     text        NOT NULL,
    type           text        NOT NULL CHECK (type IN ('track', 'page', 'screen', 'identify', 'group', 'alias')),
    event          text,
    user_id        text,
    anonymous_id   text,
    group_id       text,
    previous_id    text,
    session_id     uuid,
    "timestamp"    timestamptz NOT NULL,
    received_at    timestamptz NOT NULL,
    sent_at        timestamptz,
    -- Extracted at ingest, so rollups group by plain columns instead of digging in jsonb.
    page_path      text,
    referrer_host  text,
    utm_source     text,
    utm_medium     text,
    utm_campaign   text,
    utm_term       text,
    utm_content    text,
    country        text,
    browser        text,
    os             text,
    device_type    text,
    is_bot         boolean     NOT NULL DEFAULT false,
    ip             inet,
    properties     jsonb,
    traits         jsonb,
    context        jsonb
) PARTITION BY RANGE ("timestamp");

CREATE TABLE analytics.events_default PARTITION OF analytics.events DEFAULT;

-- One BRIN index: rows arrive roughly in time order, so a block-range summary of (project_id, timestamp)
-- lets time-range scans skip most of a partition at a small fraction of a B-tree's COPY cost.
CREATE INDEX events_project_time_brin ON analytics.events USING brin (project_id, "timestamp")
    WITH (pages_per_range = 32);

COMMENT ON TABLE analytics.events IS
    'Every stored Segment call; one partition per UTC day (events_pYYYYMMDD) plus events_default.';
