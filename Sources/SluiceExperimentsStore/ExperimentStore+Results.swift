import SluiceExperiments
import SluicePostgres

extension ExperimentStore {
    /// The report of the experiment's current version, counted in SQL from `experiments.assignments` and the
    /// goal events, then computed by ``SluiceExperiments/ExperimentResults``.
    ///
    /// Users are the people assigned to a variation and exposed to it ("Experiment Viewed" naming their
    /// variation, and never another); converters are those of them with a goal event (a `track` of the
    /// definition's `goalEvent`) at or after their first exposure, and before the experiment was stopped. Without
    /// a goal event nobody converts. People assigned but never exposed are counted as `assigned` only.
    ///
    /// The goal events are read in one pass over the project's events since the version started (partitions
    /// before it are pruned): each person's latest goal event in that range, joined to their assignment.
    ///
    /// - Throws: ``ExperimentStoreError`` `unknownProject`, `unknownExperiment`, `corrupt`; `PostgresError`.
    public static func report(projectID: Int64, key: String, on connection: PostgresConnection) throws
        -> ExperimentReport
    {
        try connection.transaction { connection in
            // One snapshot for the counts and the unassigned exposures.
            try connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            let stored = try require(projectID: projectID, key: key, on: connection)
            let definition = stored.definition
            let variations = definition.variations.count
            var counts = Array(repeating: (assigned: 0, exposed: 0, converters: 0, mismatched: 0), count: variations)
            let result = try connection.query(
                """
                WITH experiment AS (
                    SELECT version_started_at AS started, stopped_at AS stopped
                    FROM experiments.experiments WHERE project_id = $1 AND key = $2
                ), goals AS (
                    SELECT coalesce(e.user_id, e.anonymous_id) AS person_id, max(e."timestamp") AS last_goal
                    FROM analytics.events e, experiment x
                    WHERE e.project_id = $1 AND e.type = 'track' AND e.event = $4
                        AND e."timestamp" >= x.started AND (x.stopped IS NULL OR e."timestamp" < x.stopped)
                    GROUP BY 1
                )
                SELECT a.variant, count(*),
                    count(*) FILTER (WHERE a.first_exposure IS NOT NULL AND a.mismatch_at IS NULL),
                    count(*) FILTER (WHERE a.first_exposure IS NOT NULL AND a.mismatch_at IS NULL
                        AND g.last_goal >= a.first_exposure),
                    count(*) FILTER (WHERE a.mismatch_at IS NOT NULL)
                FROM experiments.assignments a
                LEFT JOIN goals g ON g.person_id = a.person_id
                WHERE a.project_id = $1 AND a.experiment_key = $2 AND a.version = $3
                GROUP BY a.variant
                """,
                [String(projectID), key, String(stored.version), definition.goalEvent]
            )
            for row in 0..<result.rowCount {
                let variant = try result.int(row, 0) ?? -1
                guard counts.indices.contains(variant) else {
                    throw ExperimentStoreError(
                        .corrupt, "experiments.assignments holds variant \(variant) of \"\(key)\", which has \(variations)"
                    )
                }
                counts[variant] = (
                    try result.int(row, 1) ?? 0, try result.int(row, 2) ?? 0, try result.int(row, 3) ?? 0,
                    try result.int(row, 4) ?? 0
                )
            }
            let unassigned = try connection.query(
                """
                SELECT reason, count(*) FROM experiments.unassigned_exposures
                WHERE project_id = $1 AND experiment_key = $2 AND version = $3 GROUP BY reason
                """,
                [String(projectID), key, String(stored.version)]
            )
            var reasons: [String: Int] = [:]
            for row in 0..<unassigned.rowCount {
                reasons[unassigned.string(row, 0) ?? "?"] = try unassigned.int(row, 1) ?? 0
            }
            do throws(ExperimentResultsError) {
                return try ExperimentReport(
                    definition: definition, version: stored.version,
                    counts: counts.map {
                        .init(assigned: $0.assigned, exposed: $0.exposed, converters: $0.converters, mismatched: $0.mismatched)
                    },
                    unassignedExposures: reasons
                )
            } catch {
                throw ExperimentStoreError(.corrupt, "the counts of \"\(key)\" cannot be results: \(error.description)")
            }
        }
    }
}
