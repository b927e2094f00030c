import SluicePostgres

/// `sluice forget`: erases one person from a project, through every id linked to theirs.
///
/// The ids: the one given (a userId or an anonymousId) and every id linked to it by an `identify` (its
/// `user_id` and `anonymous_id`) or an `alias` (its `user_id` and `previous_id`), in both directions and
/// transitively (an anonymousId identified as a user, who was aliased from an older id, …), found with one
/// recursive query over every partition. Then, in one transaction, each target (``ErasureTarget``) deletes
/// what it keeps of those ids, and each id is recorded in `sluice.erasures` as its salted hash with the
/// events removed, so `sluice archive restore` deletes them again from a restored day.
///
/// The targets are a list so that what other parts of Sluice derive from the events can be erased in the
/// same transaction by adding a target; ``targets`` holds ``EventsErasure`` today.
public struct PersonEraser {
    public var targets: [any ErasureTarget] = [EventsErasure()]

    public init() {}

    /// What an erasure did.
    public struct Report: Sendable, Equatable {
        /// Every id erased, the given one first, then sorted.
        public var ids: [String]
        /// Rows removed per target name (`analytics.events`).
        public var removed: [String: Int]
        /// Events removed for each id, in the order of ``ids``.
        public var eventsPerID: [Int]
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

    /// Erases `id` and every id linked to it in `project`.
    /// - Parameter fence: called last in the transaction.
    /// - Throws: `PostgresError` from the database; nothing is erased then.
    public func erase(
        _ id: String, project: Int64, on connection: PostgresConnection,
        fence: (PostgresConnection) throws -> Void = { _ in }
    ) throws -> Report {
        try connection.transaction { connection in
            let ids = try linkedIDs(of: id, project: project, on: connection)
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
            return Report(ids: ids, removed: removed, eventsPerID: perID)
        }
    }
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
    public var name: String { "analytics.events" }

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
