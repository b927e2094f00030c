-- Retention and erasure: what a forgotten person's ids hash to, so a restored archive never brings them back.
--
-- `sluice forget --project ID --user ID` deletes every event of the person (their userId and every id linked
-- to it by identify or alias, transitively) and records one row here per id erased. The id itself is not
-- kept: only a salted SHA-256 of it (sluice.erasure_hash), so this table holds no personal data, yet
-- `sluice archive restore` can delete the rows of an archived day whose user_id, anonymous_id or
-- previous_id hashes to a recorded id before that day is attached again.
--
-- The salt is made once, here, from the server's random source, and never changes (a new salt would make
-- every recorded hash unmatchable). It stays in the database, beside the hashes: it keeps the table from
-- being matched against a list of known ids elsewhere, not from a reader of this database.
--
-- Citus: both tables are small; keep them as local tables on the coordinator, or make sluice.erasures a
-- reference table so the restore's DELETE can join it on every shard.

CREATE TABLE sluice.erasure_salt (
    -- One row only.
    singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    salt       text    NOT NULL CHECK (length(salt) >= 32)
);

INSERT INTO sluice.erasure_salt (salt)
    SELECT md5(random()::text || clock_timestamp()::text) || md5(random()::text || pg_backend_pid()::text);

-- The one definition of the salted hash; `sluice forget` and `sluice archive restore` both call it.
-- Lower-case hex of SHA-256 over salt, ':', the project id, ':', the id.
CREATE FUNCTION sluice.erasure_hash(project bigint, id text) RETURNS text
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
    AS $$
        SELECT encode(sha256(convert_to(s.salt || ':' || project::text || ':' || id, 'UTF8')), 'hex')
        FROM sluice.erasure_salt s
    $$;

CREATE TABLE sluice.erasures (
    id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id    bigint      NOT NULL,
    -- sluice.erasure_hash(project_id, the erased id): 64 hex digits.
    id_hash       text        NOT NULL CHECK (id_hash ~ '^[0-9a-f]{64}$'),
    erased_at     timestamptz NOT NULL DEFAULT now(),
    -- Rows of analytics.events deleted for this id when it was erased.
    rows_removed  bigint      NOT NULL DEFAULT 0 CHECK (rows_removed >= 0)
);

CREATE INDEX erasures_project_hash ON sluice.erasures (project_id, id_hash);

COMMENT ON TABLE sluice.erasures IS
    'One row per erased id: project_id, id_hash = sluice.erasure_hash(project_id, id) (no personal data), '
    'when, and rows removed; applied again by sluice archive restore.';
