import Logging
import SluiceCore
import SluiceExperiments
import SluicePostgres

/// One project's part of an assignments run, inside the caller's (fenced) transaction.
///
/// The window is the events with `lo < received_at ≤ hi`, where `hi` is the database's `now()` minus the settle
/// time (never before the watermark) and `lo` is the watermark minus the lookback (`-infinity` on the project's
/// first run, which reads its history once). In the window, in this order:
///
/// 1. each person's latest `identify` traits go to `experiments.person_traits` (when newer than what is there);
/// 2. for each experiment version that runs (or was stopped within the window), the people with an event in the
///    window that counts for it (`version_started_at ≤ timestamp < stopped_at`) and no assignment yet are
///    bucketed by ``SluiceExperiments/ExperimentDefinition/assign(_:)`` with the columns of their earliest such
///    event and their traits: those in the experiment are inserted into `experiments.assignments`; those outside
///    with an exposure go to `experiments.unassigned_exposures` with the reason;
/// 3. the exposures in the window of assigned people set `first_exposure`, and `mismatch_at` /
///    `mismatch_variant` when one named another variation, each only ever moved earlier;
/// 4. the watermark moves to `hi`.
///
/// Every write is idempotent, so a window read twice (the lookback, or a run rolled back and done again) changes
/// nothing the second time.
struct ProjectAssignmentRun {
    let projectID: Int64
    let settle: Duration
    let lookback: Duration
    let logger: Logger

    /// People are read from the candidate cursor, and written, this many at a time.
    static let batchSize = 2_000

    /// The window's bounds as PostgreSQL's text of a `timestamptz` (read back by the same session).
    struct Window {
        var lo: String
        var hi: String
    }

    func run(on connection: PostgresConnection) throws -> AssignmentTally {
        let window = try openWindow(on: connection)
        var tally = AssignmentTally()
        tally.traits = try recordTraits(window, on: connection)
        let experiments = try connection.query(
            """
            SELECT \(ExperimentStore.columns), version_started_at::text, stopped_at::text
            FROM experiments.experiments
            WHERE project_id = $1 AND version_started_at IS NOT NULL
                AND (status = 'running' OR (status = 'stopped' AND stopped_at > $2::timestamptz))
            ORDER BY key
            """,
            [String(projectID), window.lo]
        )
        for row in 0..<experiments.rowCount {
            let stored: StoredExperiment
            do {
                stored = try ExperimentStore.experiment(experiments, row: row)
            } catch {
                logger.warning("skipped an experiment whose definition cannot be read", metadata: ["error": "\(error)"])
                tally.unreadable += 1
                continue
            }
            let range = VersionRange(
                key: stored.key, version: stored.version, variations: stored.definition.variations.count,
                started: experiments.string(row, 7) ?? "-infinity", stopped: experiments.string(row, 8)
            )
            var counts = try assignNewPeople(Self.bucketing(stored.definition), range, window, on: connection)
            try recordExposures(range, window, into: &counts, on: connection)
            tally.experiments[stored.key] = counts
        }
        try connection.query(
            """
            INSERT INTO experiments.assignment_watermarks AS w (project_id, received_through) VALUES ($1, $2)
            ON CONFLICT (project_id) DO UPDATE SET received_through = EXCLUDED.received_through, updated_at = now()
            WHERE EXCLUDED.received_through > w.received_through
            """,
            [String(projectID), window.hi]
        )
        return tally
    }

    /// The window from the watermark and the database's clock.
    private func openWindow(on connection: PostgresConnection) throws -> Window {
        let result = try connection.query(
            """
            SELECT (coalesce(w.received_through, '-infinity') - $2::interval)::text,
                greatest(now() - $3::interval, coalesce(w.received_through, '-infinity'))::text
            FROM (SELECT 1) one
            LEFT JOIN experiments.assignment_watermarks w ON w.project_id = $1
            """,
            [String(projectID), Self.interval(lookback), Self.interval(settle)]
        )
        return Window(lo: result.string(0, 0) ?? "-infinity", hi: result.string(0, 1) ?? "-infinity")
    }

    /// Step 1: the latest identify traits of each person identified in the window.
    private func recordTraits(_ window: Window, on connection: PostgresConnection) throws -> Int {
        try connection.query(
            """
            INSERT INTO experiments.person_traits AS t (project_id, person_id, traits, identified_at, message_id)
            SELECT DISTINCT ON (person) $1, person, traits, "timestamp", message_id
            FROM (
                SELECT coalesce(user_id, anonymous_id) AS person, traits, "timestamp", message_id
                FROM analytics.events
                WHERE project_id = $1 AND received_at > $2::timestamptz AND received_at <= $3::timestamptz
                    AND type = 'identify' AND jsonb_typeof(traits) = 'object'
            ) identified
            WHERE person IS NOT NULL
            ORDER BY person, "timestamp" DESC, message_id DESC
            ON CONFLICT (project_id, person_id) DO UPDATE
                SET traits = EXCLUDED.traits, identified_at = EXCLUDED.identified_at, message_id = EXCLUDED.message_id
                WHERE (EXCLUDED.identified_at, EXCLUDED.message_id) > (t.identified_at, t.message_id)
            """,
            [String(projectID), window.lo, window.hi]
        ).affectedRows
    }

    /// An experiment version and the span of event times that count for it.
    struct VersionRange {
        var key: String
        var version: Int
        var variations: Int
        /// `version_started_at` and `stopped_at` as timestamptz text; `stopped` `nil` while it runs.
        var started: String
        var stopped: String?
    }

    /// The events of the window that count for `range`: `$1` project, `$2`/`$3` window, `$4`/`$5` the version's
    /// start and stop.
    private static let countedEvents = """
        project_id = $1 AND received_at > $2::timestamptz AND received_at <= $3::timestamptz
            AND "timestamp" >= $4::timestamptz AND ($5::timestamptz IS NULL OR "timestamp" < $5::timestamptz)
        """

    /// Whether an event is an exposure to experiment `$6`.
    private static let isExposure = """
        type = 'track' AND event = 'Experiment Viewed' AND properties ->> 'experiment_id' = $6
        """

    /// The variation an exposure names: `variation_id` as a JSON number or string of digits below `$8` (the
    /// number of variations); NULL for anything else. Nested CASEs, so the cast runs only on digits.
    private static let exposedVariant = """
        CASE WHEN jsonb_typeof(properties -> 'variation_id') IN ('number', 'string')
                AND (properties ->> 'variation_id') ~ '^[0-9]{1,4}$'
            THEN CASE WHEN (properties ->> 'variation_id')::int < $8 THEN (properties ->> 'variation_id')::int END
        END
        """

    /// Step 2: buckets the people of the window not yet assigned to `range`'s version.
    private func assignNewPeople(
        _ definition: ExperimentDefinition, _ range: VersionRange, _ window: Window, on connection: PostgresConnection
    ) throws -> AssignmentTally.Experiment {
        try connection.query(
            """
            DECLARE sluice_assignment_candidates NO SCROLL CURSOR FOR
            WITH counted AS (
                SELECT coalesce(user_id, anonymous_id) AS person, user_id, anonymous_id, "timestamp", message_id,
                    country, browser, os, device_type,
                    CASE WHEN \(Self.isExposure) THEN true END AS exposure,
                    CASE WHEN \(Self.isExposure) THEN \(Self.exposedVariant) END AS exposed_variant
                FROM analytics.events
                WHERE \(Self.countedEvents) AND coalesce(user_id, anonymous_id) IS NOT NULL
            ), seen AS (
                SELECT DISTINCT ON (person) person, user_id, anonymous_id, "timestamp", country, browser, os,
                    device_type
                FROM counted ORDER BY person, "timestamp", message_id
            ), exposed AS (
                SELECT DISTINCT ON (person) person, "timestamp" AS first_exposure, exposed_variant
                FROM counted WHERE exposure ORDER BY person, "timestamp", message_id
            )
            SELECT s.person, s.user_id, s.anonymous_id, s."timestamp"::text, s.country, s.browser, s.os,
                s.device_type, t.traits::text, x.first_exposure::text, x.exposed_variant
            FROM seen s
            LEFT JOIN experiments.person_traits t ON t.project_id = $1 AND t.person_id = s.person
            LEFT JOIN exposed x ON x.person = s.person
            WHERE NOT EXISTS (
                SELECT 1 FROM experiments.assignments a
                WHERE a.project_id = $1 AND a.experiment_key = $6 AND a.version = $7 AND a.person_id = s.person
            )
            """,
            [
                String(projectID), window.lo, window.hi, range.started, range.stopped, range.key,
                String(range.version), String(range.variations),
            ]
        )
        defer { _ = try? connection.execute("CLOSE sluice_assignment_candidates") }
        var counts = AssignmentTally.Experiment()
        while true {
            let batch = try connection.execute("FETCH \(Self.batchSize) FROM sluice_assignment_candidates")
            if batch.rowCount == 0 { break }
            var assigned: [JSONValue] = []
            var unassigned: [JSONValue] = []
            for row in 0..<batch.rowCount {
                let person = batch.string(row, 0) ?? ""
                let attributes = ExperimentAttributes(
                    userId: batch.string(row, 1), anonymousId: batch.string(row, 2), country: batch.string(row, 4),
                    browser: batch.string(row, 5), os: batch.string(row, 6), device: batch.string(row, 7),
                    traits: Self.traits(batch.string(row, 8))
                )
                let assignment = definition.assign(attributes)
                if assignment.inExperiment {
                    assigned.append(
                        .object([
                            JSONMember("person_id", .string(person)), JSONMember("variant", Self.integer(assignment.variant)),
                            JSONMember("first_seen", .string(batch.string(row, 3) ?? "")),
                        ])
                    )
                } else if let exposure = batch.string(row, 9), let exclusion = assignment.exclusion {
                    unassigned.append(
                        .object([
                            JSONMember("person_id", .string(person)),
                            JSONMember("exposed_variant", try batch.int(row, 10).map(Self.integer) ?? .null),
                            JSONMember("reason", .string(exclusion.rawValue)),
                            JSONMember("first_exposure", .string(exposure)),
                        ])
                    )
                }
            }
            if !assigned.isEmpty {
                let inserted = try connection.query(
                    """
                    INSERT INTO experiments.assignments (project_id, experiment_key, version, person_id, variant,
                        first_seen)
                    SELECT $1, $2, $3, r.person_id, r.variant, r.first_seen
                    FROM json_to_recordset($4::json) AS r(person_id text, variant smallint, first_seen timestamptz)
                    ON CONFLICT DO NOTHING
                    """,
                    [String(projectID), range.key, String(range.version), JSONValue.array(assigned).jsonText]
                ).affectedRows
                counts.assigned += inserted
                counts.rows += inserted
            }
            if !unassigned.isEmpty {
                let written = try connection.query(
                    """
                    WITH written AS (
                        INSERT INTO experiments.unassigned_exposures AS u (project_id, experiment_key, version,
                            person_id, exposed_variant, reason, first_exposure)
                        SELECT $1, $2, $3, r.person_id, r.exposed_variant, r.reason, r.first_exposure
                        FROM json_to_recordset($4::json)
                            AS r(person_id text, exposed_variant smallint, reason text, first_exposure timestamptz)
                        ON CONFLICT (project_id, experiment_key, version, person_id) DO UPDATE
                            SET exposed_variant = EXCLUDED.exposed_variant, reason = EXCLUDED.reason,
                                first_exposure = EXCLUDED.first_exposure
                            WHERE EXCLUDED.first_exposure < u.first_exposure
                        RETURNING xmax = 0 AS inserted
                    )
                    SELECT count(*), count(*) FILTER (WHERE inserted) FROM written
                    """,
                    [String(projectID), range.key, String(range.version), JSONValue.array(unassigned).jsonText]
                )
                counts.rows += try written.int(0, 0) ?? 0
                counts.unassignedExposures += try written.int(0, 1) ?? 0
            }
        }
        if counts.assigned > 0 {
            // The next statements join the new rows. Without fresh statistics the planner takes an experiment's
            // just-inserted assignments for one row and joins them to the events window by a nested loop that
            // scans the window once per person: a first run over 3,000 people took minutes. ANALYZE samples at
            // most 30,000 rows whatever the table's size, and its statistics are visible to this transaction.
            try connection.execute("ANALYZE experiments.assignments")
        }
        return counts
    }

    /// Step 3: the window's exposures of assigned people.
    private func recordExposures(
        _ range: VersionRange, _ window: Window, into counts: inout AssignmentTally.Experiment,
        on connection: PostgresConnection
    ) throws {
        let result = try connection.query(
            """
            WITH exposures AS (
                SELECT coalesce(user_id, anonymous_id) AS person, "timestamp", message_id,
                    \(Self.exposedVariant) AS variant
                FROM analytics.events
                WHERE \(Self.countedEvents) AND \(Self.isExposure)
            ), earliest AS (
                SELECT a.person_id, a.first_exposure AS old_exposure, a.mismatch_at AS old_mismatch,
                    min(x."timestamp") AS first_exposure,
                    (array_agg(x."timestamp" ORDER BY x."timestamp", x.message_id)
                        FILTER (WHERE x.variant IS DISTINCT FROM a.variant))[1] AS mismatch_at,
                    (array_agg(x.variant ORDER BY x."timestamp", x.message_id)
                        FILTER (WHERE x.variant IS DISTINCT FROM a.variant))[1] AS mismatch_variant
                FROM exposures x
                JOIN experiments.assignments a
                    ON a.project_id = $1 AND a.experiment_key = $6 AND a.version = $7 AND a.person_id = x.person
                GROUP BY a.person_id, a.variant, a.first_exposure, a.mismatch_at
            ), changed AS (
                SELECT e.*,
                    (e.old_exposure IS NULL OR e.first_exposure < e.old_exposure) AS new_exposure,
                    (e.mismatch_at IS NOT NULL AND (e.old_mismatch IS NULL OR e.mismatch_at < e.old_mismatch))
                        AS new_mismatch
                FROM earliest e
            ), updated AS (
                UPDATE experiments.assignments a SET
                    first_exposure = CASE WHEN c.new_exposure THEN c.first_exposure ELSE a.first_exposure END,
                    mismatch_at = CASE WHEN c.new_mismatch THEN c.mismatch_at ELSE a.mismatch_at END,
                    mismatch_variant = CASE WHEN c.new_mismatch THEN c.mismatch_variant ELSE a.mismatch_variant END
                FROM changed c
                WHERE a.project_id = $1 AND a.experiment_key = $6 AND a.version = $7 AND a.person_id = c.person_id
                    AND (c.new_exposure OR c.new_mismatch)
                RETURNING a.assigned_at = now() AS assigned_now, c.old_exposure IS NULL AS first,
                    c.old_mismatch IS NULL AND c.new_mismatch AS first_mismatch
            )
            SELECT count(*) FILTER (WHERE NOT assigned_now), count(*) FILTER (WHERE first),
                count(*) FILTER (WHERE first_mismatch)
            FROM updated
            """,
            [
                String(projectID), window.lo, window.hi, range.started, range.stopped, range.key,
                String(range.version), String(range.variations),
            ]
        )
        counts.rows += try result.int(0, 0) ?? 0
        counts.exposed += try result.int(0, 1) ?? 0
        counts.mismatched += try result.int(0, 2) ?? 0
    }

    /// The definition to bucket with: a stopped experiment's late events (from before the stop) are bucketed as
    /// while it ran.
    static func bucketing(_ definition: ExperimentDefinition) -> ExperimentDefinition {
        guard definition.status == .stopped else { return definition }
        let running = try? ExperimentDefinition(
            key: definition.key, name: definition.name, variations: definition.variations, weights: definition.weights,
            coverage: definition.coverage, hashAttribute: definition.hashAttribute, hashVersion: definition.hashVersion,
            seed: definition.seed, namespace: definition.namespace, status: .running, goalEvent: definition.goalEvent,
            targeting: definition.targeting
        )
        return running ?? definition
    }

    /// A person's traits from `person_traits.traits` (a JSON object), by name; none when absent or unreadable.
    static func traits(_ text: String?) -> [String: JSONValue] {
        guard let text, case .object(let members)? = try? JSONValue(parsing: text) else { return [:] }
        var traits: [String: JSONValue] = [:]
        for member in members where traits[member.key] == nil { traits[member.key] = member.value }
        return traits
    }

    static func integer(_ value: Int) -> JSONValue {
        .number(JSONNumber(Double(value))!)
    }

    /// A duration as a PostgreSQL interval, in microseconds.
    static func interval(_ duration: Duration) -> String {
        "\(duration.components.seconds * 1_000_000 + duration.components.attoseconds / 1_000_000_000_000) microseconds"
    }
}
