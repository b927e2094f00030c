-- A/B experiments: the definitions, who is in which variation, and the assignments job's bookkeeping.
--
--   experiments.experiments             one row per experiment of a project: GrowthBook's fields, its version
--   experiments.assignments             per experiment version and person: the variation, first seen, first
--                                       exposure, and the first exposure that named another variation
--   experiments.unassigned_exposures    per experiment version and person: exposures ("Experiment Viewed") of
--                                       people Sluice puts outside the experiment, with the reason
--   experiments.person_traits           per person: the traits of their latest identify call (for targeting)
--   experiments.assignment_watermarks   per project: how far (in received_at) the assignments job has read
--
-- The rules are in docs/experiments.md. The definitions are validated by the sluice binary
-- (SluiceExperiments.ExperimentDefinition) before they are stored; the checks here are a backstop.
--
-- Citus: every table is keyed by project_id first and every statement of the job, the commands and the
-- endpoints filters on one project_id, so all of them can be distributed by project_id and co-located with
-- analytics.events (experiments.experiments with them, or as a reference table: it is small).

CREATE TABLE experiments.experiments (
    project_id          bigint      NOT NULL REFERENCES sluice.projects (id),
    key                 text        NOT NULL CHECK (key <> '' AND length(key) <= 200 AND strpos(key, '/') = 0),
    name                text,
    -- The variations' values exactly as written (json, not jsonb, keeps key order and number literals).
    variations          json        NOT NULL CHECK (json_typeof(variations) = 'array'),
    weights             double precision[] NOT NULL,
    coverage            double precision   NOT NULL CHECK (coverage >= 0 AND coverage <= 1),
    -- 'id' (userId, else anonymousId), 'userId', 'anonymousId', or the name of a trait.
    hash_attribute      text        NOT NULL CHECK (hash_attribute <> ''),
    hash_version        smallint    NOT NULL CHECK (hash_version IN (1, 2)),
    seed                text        NOT NULL CHECK (seed <> ''),
    -- [id, lo, hi], or NULL.
    namespace           json        CHECK (namespace IS NULL OR json_typeof(namespace) = 'array'),
    status              text        NOT NULL CHECK (status IN ('draft', 'running', 'stopped')),
    goal_event          text        CHECK (goal_event <> ''),
    -- The targeting rules as written in the experiment file; NULL lets everyone in.
    targeting           json        CHECK (targeting IS NULL OR json_typeof(targeting) = 'object'),
    -- One more each time a change re-randomises users (variations, weights, seed, hash attribute or hash
    -- version); assignments and results are per version.
    version             integer     NOT NULL DEFAULT 1 CHECK (version >= 1),
    -- When the current version first ran; NULL while it has not. Events before it do not count for it.
    version_started_at  timestamptz,
    -- When it was stopped; NULL unless stopped. Events from then on do not count.
    stopped_at          timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, key),
    CHECK ((status = 'stopped') = (stopped_at IS NOT NULL))
);

COMMENT ON TABLE experiments.experiments IS
    'A/B experiments: GrowthBook''s fields; version counts the changes that re-randomise users.';

-- One row per person the job has put in a running experiment version. person_id is the person as Sluice's
-- stats count them: userId, else anonymousId.
CREATE TABLE experiments.assignments (
    project_id        bigint      NOT NULL,
    experiment_key    text        NOT NULL,
    version           integer     NOT NULL,
    person_id         text        NOT NULL,
    -- The variation's index (0 is the control), as ExperimentDefinition.assign decides it.
    variant           smallint    NOT NULL CHECK (variant >= 0),
    -- The time of the person's earliest event in the job run that assigned them.
    first_seen        timestamptz NOT NULL,
    -- The person's earliest "Experiment Viewed" for this experiment; NULL while never exposed.
    first_exposure    timestamptz,
    -- The earliest exposure that named a variation other than variant (a client bug or a client using
    -- another definition), and the variation it named (NULL when it named none Sluice knows).
    mismatch_at       timestamptz,
    mismatch_variant  smallint,
    assigned_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, experiment_key, version, person_id),
    FOREIGN KEY (project_id, experiment_key) REFERENCES experiments.experiments (project_id, key),
    CHECK (mismatch_at IS NULL OR first_exposure IS NOT NULL)
);

COMMENT ON TABLE experiments.assignments IS
    'Per experiment version and person (userId, else anonymousId): variant, first_seen, first_exposure, and '
    'mismatch_at/mismatch_variant when an exposure named another variation.';

-- Exposures of people outside the experiment by Sluice's rules (targeting, coverage, namespace, a missing
-- hash attribute, or the experiment stopped): reported with the results, never counted in them.
CREATE TABLE experiments.unassigned_exposures (
    project_id       bigint      NOT NULL,
    experiment_key   text        NOT NULL,
    version          integer     NOT NULL,
    person_id        text        NOT NULL,
    -- The variation the earliest such exposure named; NULL when it named none Sluice knows.
    exposed_variant  smallint,
    -- Why Sluice puts the person outside: an Assignment.Exclusion (excludedByTargeting, …).
    reason           text        NOT NULL,
    first_exposure   timestamptz NOT NULL,
    recorded_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, experiment_key, version, person_id),
    FOREIGN KEY (project_id, experiment_key) REFERENCES experiments.experiments (project_id, key)
);

-- The traits of each person's latest identify call (by timestamp, then messageId) that the job has read,
-- for targeting on traits and for hashing on a trait.
CREATE TABLE experiments.person_traits (
    project_id     bigint      NOT NULL,
    person_id      text        NOT NULL,
    traits         jsonb       NOT NULL,
    identified_at  timestamptz NOT NULL,
    message_id     text        NOT NULL,
    PRIMARY KEY (project_id, person_id)
);

-- How far the assignments job has read each project's events: every event with received_at at or before
-- received_through has been read (late ones within the job's lookback are read again; docs/experiments.md).
CREATE TABLE experiments.assignment_watermarks (
    project_id        bigint      PRIMARY KEY,
    received_through  timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL DEFAULT now()
);

-- The job reads the events received since its watermark through events_received_at_brin (migration 0005):
-- rows arrive in received_at order, so that BRIN summary lets the read skip every block range received
-- before the watermark, in every daily partition (an event backfilled into an old day is found too).
