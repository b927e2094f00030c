-- The scheduler's bookkeeping: one lease per job, and one row per run.
--
-- A job runs only while its runner holds the job's lease: the row of sluice.job_leases whose holder is that
-- runner and whose token is the one the runner got when it took the lease. Taking a lease is one UPDATE
-- that succeeds only when the lease is free or has lapsed (expires_at has passed), and it adds one to the
-- token. The holder renews expires_at while its job runs (a heartbeat), and releases the lease when the run
-- ends; a holder that dies simply stops renewing, and anyone may take the lease once it has lapsed.
--
-- Fencing: every transaction of a job updates its lease row, matching holder AND token, just before it
-- commits, and is rolled back when that touches no row. A holder that lost its lease (paused, cut off,
-- taken over) therefore cannot commit anything after a new holder took over: the new holder's token
-- differs. While that UPDATE's row lock is held (until the job's transaction ends), nobody can take the
-- lease, so the check stays true up to the commit.
--
-- All times are the database's clock (now()), never a client's, so nodes need not agree on the time.
--
-- Citus: both tables are small, written by the scheduler only; keep them as local tables on the
-- coordinator, like sluice.spool_checkpoints.

CREATE TABLE sluice.job_leases (
    job                text        PRIMARY KEY CHECK (job ~ '^[a-z][a-z0-9_]*$' AND length(job) <= 63),
    -- Who holds the lease (e.g. 'default@web-1:4242'); NULL once released.
    holder             text        CHECK (holder <> '' AND length(holder) <= 200),
    -- The fencing token: one more at every acquisition, never reused.
    token              bigint      NOT NULL DEFAULT 0 CHECK (token >= 0),
    acquired_at        timestamptz,
    -- The lease has lapsed once this has passed, whoever the holder.
    expires_at         timestamptz NOT NULL DEFAULT '-infinity',
    -- When the last run started and last succeeded, on any node: a job is due one interval after its last
    -- start.
    last_started_at    timestamptz,
    last_succeeded_at  timestamptz
);

COMMENT ON TABLE sluice.job_leases IS
    'One lease per scheduled job: holder, expires_at (renewed while the job runs) and the fencing token that '
    'each of the job''s transactions checks before it commits.';

CREATE TABLE sluice.job_runs (
    id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job           text        NOT NULL,
    -- The holder that ran it, or that asked for it when it was skipped.
    node          text        NOT NULL,
    -- The lease token the run held; NULL for a skipped run.
    token         bigint,
    status        text        NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'skipped')),
    started_at    timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz,
    rows_touched  bigint      NOT NULL DEFAULT 0 CHECK (rows_touched >= 0),
    -- One line on what the run did, or why it was skipped.
    summary       text,
    -- One line on why it failed. A run whose holder died stays 'running' until the next holder takes the
    -- lease and marks it failed.
    error         text,
    CHECK ((status = 'running') = (finished_at IS NULL))
);

CREATE INDEX job_runs_job_started ON sluice.job_runs (job, started_at DESC);

COMMENT ON TABLE sluice.job_runs IS
    'One row per run of a scheduled job (status running, succeeded, failed or skipped); kept 30 days.';
