import SluiceCore
import SluicePostgres
import SluiceRollupsJob
import SluiceStore

/// `sluice forget` and `POST /v1/privacy/forget`: erases one person from a project, through every id linked
/// to theirs, everywhere Sluice keeps something of them, and leaves the rollups as if they had never come.
///
/// The ids: the one given (a userId or an anonymousId) and every id linked to it by an `identify` (its
/// `user_id` and `anonymous_id`) or an `alias` (its `user_id` and `previous_id`), in both directions and
/// transitively (an anonymousId identified as a user, who was aliased from an older id, …), found with one
/// recursive query over every partition.
///
/// Then, in one transaction:
/// 1. the tables derived from the events by the jobs (`analytics.sessions`, the experiments' per-person
///    tables) are locked against writers (`SHARE ROW EXCLUSIVE`: a sessions or assignments step still
///    running is waited for, and none starts until the commit), so no job can write back a visit or an
///    assignment it derived from the person's events before they were deleted;
/// 2. every (project, hour) bucket the person's events (by event time) and visits (by start) were counted
///    in is marked in `sluice.rollup_marks` (an HLL sketch cannot subtract: the buckets must be recomputed);
/// 3. each target (``ErasureTarget``) deletes what it keeps of the ids; a visit is keyed by
///    `coalesce(user_id, anonymous_id)`, so every visit whose person is any of the ids goes, including one
///    that began anonymous and went on under the userId;
/// 4. each id is recorded in `sluice.erasures` as its salted hash with the events removed (no personal
///    data), so `sluice archive restore` deletes them again from a restored day.
///
/// After the commit, the marked buckets are recomputed by the rollups job's own code
/// (`RollupsJob.recompute`), one transaction per project and day, before ``erase(_:project:on:fence:)``
/// returns. Nobody else's visits are derived again: visits are per person, so the others' are unchanged.
/// Should that recomputation fail, the erasure stays committed and the marks stay for the rollups job.
///
/// Days past the raw horizon are no longer in `analytics.events`: their rollups (counts and sketches, no
/// ids) are recomputed when such a day is restored (``ArchiveRestorer``), after its erasures are applied.
public struct PersonEraser: Sendable {
    public var targets: [any ErasureTarget] = [
        EventsErasure(),
        PersonKeyedErasure(table: "analytics.sessions"),
        PersonKeyedErasure(table: "experiments.assignments"),
        PersonKeyedErasure(table: "experiments.unassigned_exposures"),
        PersonKeyedErasure(table: "experiments.person_traits"),
    ]

    public init() {}

    /// What an erasure did. Holds the ids, so it is for the one who asked, never for a log.
    public struct Report: Sendable, Equatable {
        /// Every id erased, the given one first, then sorted.
        public var ids: [String]
        /// Rows removed per target name (`analytics.events`, `analytics.sessions`, …).
        public var removed: [String: Int]
        /// Events removed for each id, in the order of ``ids``.
        public var eventsPerID: [Int]
        /// Hourly rollup buckets (distinct project and hour) recomputed after the deletes.
        public var bucketsRecomputed = 0
        /// Set when the erasure committed but recomputing the rollups failed: why, and what finishes it. The
        /// marks stay, so the rollups job's next run recomputes the buckets.
        public var rollupsPending: RetentionError?

        public var events: Int { removed[EventsErasure.table] ?? 0 }
        public var sessions: Int { removed["analytics.sessions"] ?? 0 }
        public var assignments: Int { removed["experiments.assignments"] ?? 0 }
        /// Rows of the other targets (the experiments' exposures outside an experiment and targeting traits).
        public var otherRows: Int {
            removed.filter { ![EventsErasure.table, "analytics.sessions", "experiments.assignments"].contains($0.key) }
                .values.reduce(0, +)
        }
    }

    /// Every id linked to `id` in `project`, `id` first, then sorted.
    public func linkedIDs(of id: String, project: Int64, on connection: PostgresConnection) throws -> [String] {
        let result = try connection.query(
            """
            WITH RECURSIVE linked(id) AS (
                SELECT $2::text
                UNION
                SELECT v.other
                FROM analytics.events e
                JOIN linked l ON e.user_id = l.id OR e.anonymous_id = l.id OR e.previous_id = l.id
                CROSS JOIN LATERAL (VALUES (e.user_id), (e.anonymous_id), (e.previous_id)) AS v(other)
                WHERE e.project_id = $1 AND e.type IN ('identify', 'alias') AND v.other IS NOT NULL
            )
            SELECT id FROM linked WHERE id <> $2 ORDER BY id
            """,
            [String(project), id]
        )
        return [id] + (0..<result.rowCount).compactMap { result.string($0, 0) }
    }

    /// Erases `id` and every id linked to it in `project`, then recomputes the rollup buckets that counted
    /// them.
    ///
    /// Blocks the calling thread for every round trip. Running it again for the same id is harmless (it
    /// finds nothing more to delete, and records the id again with 0 rows).
    /// - Parameter fence: called last in the erasing transaction.
    /// - Returns: what was removed; ``Report/rollupsPending`` says when the erasure committed but recomputing
    ///   the rollups failed.
    /// - Throws: `PostgresError` from the database before the commit (nothing is erased then).
    public func erase(
        _ id: String, project: Int64, on connection: PostgresConnection,
        fence: (PostgresConnection) throws -> Void = { _ in }
    ) throws -> Report {
        var (report, marks) = try connection.transaction { connection in
            try connection.execute("LOCK TABLE \(Self.derivedTables) IN SHARE ROW EXCLUSIVE MODE")
            let ids = try linkedIDs(of: id, project: project, on: connection)
            var marks: [HourMark] = []
            for erased in ids {
                marks += try MarkTable.rollups.insert(selecting: Self.bucketsOfPerson, [String(project), erased], on: connection)
            }
            var removed: [String: Int] = [:]
            var perID = [Int](repeating: 0, count: ids.count)
            for target in targets {
                let counts = try target.erase(ids, project: project, on: connection)
                removed[target.name] = counts.reduce(0, +)
                if target is EventsErasure { perID = counts }
            }
            for (index, erased) in ids.enumerated() {
                try connection.query(
                    """
                    INSERT INTO sluice.erasures (project_id, id_hash, rows_removed)
                    VALUES ($1, sluice.erasure_hash($1, $2), $3)
                    """,
                    [String(project), erased, String(perID[index])]
                )
            }
            try fence(connection)
            return (Report(ids: ids, removed: removed, eventsPerID: perID), marks)
        }
        marks.sort { $0.id < $1.id }
        do {
            report.bucketsRecomputed = try RollupsJob.recompute(marks, on: connection)
        } catch {
            report.rollupsPending = RetentionError(
                .rollupsPending,
                "the person was erased, but recomputing \(Set(marks.map(\.hour)).count) rollup bucket(s) failed "
                    + "(\(error)); the rollups job recomputes them on its next run (sluice jobs run rollups)"
            )
        }
        return report
    }

    /// The tables the jobs derive from the events and that keep something of a person.
    static let derivedTables =
        "analytics.sessions, experiments.assignments, experiments.unassigned_exposures, experiments.person_traits"

    /// The (project, hour) buckets that counted `$2` in project `$1`: the hours of their events, the start hours
    /// of their visits.
    static let bucketsOfPerson = """
        SELECT $1::bigint, h FROM (
            SELECT date_trunc('hour', e."timestamp", 'UTC') FROM analytics.events e
            WHERE e.project_id = $1 AND (e.user_id = $2 OR e.anonymous_id = $2 OR e.previous_id = $2)
            UNION
            SELECT date_trunc('hour', s.session_start, 'UTC') FROM analytics.sessions s
            WHERE s.project_id = $1 AND s.person_id = $2
        ) AS t(h)
        """
}

/// A table (or a family of tables) that keeps something of a person and erases it on `sluice forget`.
public protocol ErasureTarget: Sendable {
    /// What it erases, for the report: `analytics.events`.
    var name: String { get }
    /// Deletes what it keeps of each of `ids` in `project`, inside the caller's transaction.
    /// - Returns: rows removed for each id, in the order of `ids` (a row matching two ids counts for the first).
    func erase(_ ids: [String], project: Int64, on connection: PostgresConnection) throws -> [Int]
}

/// The events of the ids: every row of `analytics.events` whose `user_id`, `anonymous_id` or `previous_id`
/// is one of them, in every partition.
public struct EventsErasure: ErasureTarget {
    static let table = "analytics.events"
    public var name: String { Self.table }

    public init() {}

    public func erase(_ ids: [String], project: Int64, on connection: PostgresConnection) throws -> [Int] {
        try ids.map { id in
            try connection.query(
                """
                DELETE FROM analytics.events
                WHERE project_id = $1 AND (user_id = $2 OR anonymous_id = $2 OR previous_id = $2)
                """,
                [String(project), id]
            ).affectedRows
        }
    }
}

/// The rows of a table keyed by `(project_id, …, person_id)`, where `person_id` is
/// `coalesce(user_id, anonymous_id)` of the events it was derived from: visits, experiment assignments,
/// exposures of people outside an experiment, the traits kept for targeting.
public struct PersonKeyedErasure: ErasureTarget {
    /// The qualified table name.
    public let table: String
    public var name: String { table }

    public init(table: String) {
        self.table = table
    }

    public func erase(_ ids: [String], project: Int64, on connection: PostgresConnection) throws -> [Int] {
        try ids.map { id in
            try connection.query(
                "DELETE FROM \(table) WHERE project_id = $1 AND person_id = $2", [String(project), id]
            ).affectedRows
        }
    }
}
