// SluiceExperimentsStore: A/B experiments in PostgreSQL. The definitions in experiments.experiments (create,
// update under ExperimentUpdate's rule, list, stop), the assignments job that puts people in variations from
// their events, and the counts behind the results. The rules themselves live in SluiceExperiments.

import SluiceExperiments
import SluicePostgres

/// The experiments of `experiments.experiments`.
///
/// A definition is stored as GrowthBook's fields in columns of their own (the variations as `json`, which keeps
/// them exactly as written) and read back through ``SluiceExperiments/ExperimentDefinition/init(jsonText:)``, so
/// what a reader gets is validated like a file.
public enum ExperimentStore {
    /// What storing a file did.
    public struct Saved: Sendable, Equatable {
        public let update: ExperimentUpdate
        public let experiment: StoredExperiment
    }

    /// Creates the experiment or updates the stored one of the same key, by ``ExperimentUpdate/plan``: a change
    /// that re-randomises users starts the next version, and is refused for a running experiment unless `force`.
    ///
    /// The current version starts (its `version_started_at` is set) when it first runs: at once for a running
    /// experiment, when a draft is set running otherwise. Stopping sets `stopped_at`; running it again clears it.
    ///
    /// - Throws: ``ExperimentStoreError``: `unknownProject`; `refused` with the update rule's one line (naming
    ///   the field, and `--force` when that would do); `corrupt` when the stored row cannot be read back.
    ///   `PostgresError` from the database. Nothing is stored when it throws.
    public static func save(
        _ definition: ExperimentDefinition, projectID: Int64, force: Bool, on connection: PostgresConnection
    ) throws -> Saved {
        try connection.transaction { connection in
            try requireProject(projectID, on: connection)
            let current = try load(projectID: projectID, key: definition.key, lock: true, on: connection)
            let update: ExperimentUpdate
            do throws(ExperimentDefinitionError) {
                update = try ExperimentUpdate.plan(
                    current: current.map { ($0.definition, $0.version) }, proposed: definition, force: force
                )
            } catch {
                throw ExperimentStoreError(.refused, error.description)
            }
            let fields = columnValues(definition)
            switch update.kind {
            case .unchanged:
                break
            case .create:
                try connection.query(
                    """
                    INSERT INTO experiments.experiments (project_id, key, name, variations, weights, coverage,
                        hash_attribute, hash_version, seed, namespace, status, goal_event, targeting, version,
                        version_started_at, stopped_at)
                    VALUES ($1, $2, $3, $4::json, $5::float8[], $6, $7, $8, $9, $10::json, $11, $12, $13::json, 1,
                        CASE WHEN $11 = 'running' THEN now() END, CASE WHEN $11 = 'stopped' THEN now() END)
                    """,
                    [String(projectID), definition.key] + fields
                )
            case .update:
                try connection.query(
                    """
                    UPDATE experiments.experiments SET name = $3, variations = $4::json, weights = $5::float8[],
                        coverage = $6, hash_attribute = $7, hash_version = $8, seed = $9, namespace = $10::json,
                        status = $11, goal_event = $12, targeting = $13::json,
                        version_started_at = CASE WHEN $11 = 'running' THEN coalesce(version_started_at, now())
                            ELSE version_started_at END,
                        stopped_at = CASE WHEN $11 = 'stopped' THEN coalesce(stopped_at, now()) END,
                        updated_at = now()
                    WHERE project_id = $1 AND key = $2
                    """,
                    [String(projectID), definition.key] + fields
                )
            case .newVersion:
                try connection.query(
                    """
                    UPDATE experiments.experiments SET name = $3, variations = $4::json, weights = $5::float8[],
                        coverage = $6, hash_attribute = $7, hash_version = $8, seed = $9, namespace = $10::json,
                        status = $11, goal_event = $12, targeting = $13::json, version = $14,
                        version_started_at = CASE WHEN $11 = 'running' THEN now() END,
                        stopped_at = CASE WHEN $11 = 'stopped' THEN now() END,
                        updated_at = now()
                    WHERE project_id = $1 AND key = $2
                    """,
                    [String(projectID), definition.key] + fields + [String(update.version)]
                )
            }
            guard let stored = try load(projectID: projectID, key: definition.key, on: connection) else {
                throw ExperimentStoreError(.corrupt, "experiment \"\(definition.key)\" vanished while it was stored")
            }
            return Saved(update: update, experiment: stored)
        }
    }

    /// Stops a running or draft experiment: it takes nobody from now on, and its results stop counting.
    ///
    /// - Returns: `false` when it was already stopped (nothing changes).
    /// - Throws: ``ExperimentStoreError`` `unknownProject` or `unknownExperiment`; `PostgresError`.
    @discardableResult
    public static func stop(projectID: Int64, key: String, on connection: PostgresConnection) throws -> Bool {
        let result = try connection.query(
            """
            UPDATE experiments.experiments SET status = 'stopped', stopped_at = now(), updated_at = now()
            WHERE project_id = $1 AND key = $2 AND status <> 'stopped'
            """,
            [String(projectID), key]
        )
        if result.affectedRows == 1 { return true }
        _ = try require(projectID: projectID, key: key, on: connection)
        return false
    }

    /// The project's experiments, by key.
    /// - Throws: ``ExperimentStoreError`` `unknownProject` or `corrupt`; `PostgresError`.
    public static func list(projectID: Int64, on connection: PostgresConnection) throws -> [StoredExperiment] {
        try requireProject(projectID, on: connection)
        let result = try connection.query(
            "SELECT \(columns) FROM experiments.experiments WHERE project_id = $1 ORDER BY key", [String(projectID)]
        )
        return try (0..<result.rowCount).map { try experiment(result, row: $0) }
    }

    /// Every experiment of every project, for the variant endpoint's cache.
    /// - Throws: ``ExperimentStoreError`` `corrupt`; `PostgresError`.
    public static func all(on connection: PostgresConnection) throws -> [StoredExperiment] {
        let result = try connection.query("SELECT \(columns) FROM experiments.experiments ORDER BY project_id, key")
        return try (0..<result.rowCount).map { try experiment(result, row: $0) }
    }

    /// A value that changes whenever any experiment is created or changed (how many there are and the latest
    /// `updated_at`), so a cache can skip reading them all when nothing changed.
    public static func fingerprint(on connection: PostgresConnection) throws -> String {
        let result = try connection.query("SELECT count(*) || ' ' || coalesce(max(updated_at)::text, '') FROM experiments.experiments")
        return result.string(0, 0) ?? ""
    }

    /// The experiment `key` of the project, or `nil`; with `lock`, its row stays locked until the caller's
    /// transaction ends.
    public static func load(
        projectID: Int64, key: String, lock: Bool = false, on connection: PostgresConnection
    ) throws -> StoredExperiment? {
        let result = try connection.query(
            "SELECT \(columns) FROM experiments.experiments WHERE project_id = $1 AND key = $2"
                + (lock ? " FOR UPDATE" : ""),
            [String(projectID), key]
        )
        return result.rowCount == 1 ? try experiment(result, row: 0) : nil
    }

    /// The experiment `key` of the project.
    /// - Throws: ``ExperimentStoreError`` `unknownProject` or `unknownExperiment`; `corrupt`; `PostgresError`.
    public static func require(
        projectID: Int64, key: String, on connection: PostgresConnection
    ) throws -> StoredExperiment {
        if let found = try load(projectID: projectID, key: key, on: connection) { return found }
        try requireProject(projectID, on: connection)
        throw ExperimentStoreError(
            .unknownExperiment,
            "project \(projectID) has no experiment \"\(key)\"; sluice experiments list --project \(projectID) shows them"
        )
    }

    /// - Throws: ``ExperimentStoreError`` `unknownProject` unless a project has the id.
    static func requireProject(_ projectID: Int64, on connection: PostgresConnection) throws {
        let result = try connection.query("SELECT 1 FROM sluice.projects WHERE id = $1", [String(projectID)])
        guard result.rowCount == 1 else {
            throw ExperimentStoreError(
                .unknownProject, "there is no project \(projectID); sluice projects list shows them"
            )
        }
    }

    /// `name` … `targeting` of a definition as statement parameters ($3 … $13 of the writes).
    private static func columnValues(_ definition: ExperimentDefinition) -> [String?] {
        let json = definition.json
        return [
            definition.name,
            JSONValue.array(definition.variations).jsonText,
            "{" + definition.weights.map(JSONNumber.text).joined(separator: ",") + "}",
            JSONNumber.text(definition.coverage),
            definition.hashAttribute.name,
            String(definition.hashVersion.rawValue),
            definition.seed,
            json["namespace"]?.jsonText,
            definition.status.rawValue,
            definition.goalEvent,
            json["targeting"]?.jsonText,
        ]
    }

    /// A time column as UTC ISO 8601 with microseconds.
    static func utc(_ column: String) -> String {
        #"to_char(\#(column) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"#
    }

    /// The columns ``experiment(_:row:)`` reads: the project, the definition as an experiment file, the version
    /// and the times.
    static let columns = """
        project_id, json_build_object('key', key, 'name', name, 'variations', variations, 'weights', to_json(weights),
            'coverage', coverage, 'hashAttribute', hash_attribute, 'hashVersion', hash_version, 'seed', seed,
            'namespace', namespace, 'status', status, 'goalEvent', goal_event, 'targeting', targeting)::text,
        version, \(utc("version_started_at")), \(utc("stopped_at")), \(utc("created_at")), \(utc("updated_at"))
        """

    static func experiment(_ result: PostgresResult, row: Int) throws -> StoredExperiment {
        let text = result.string(row, 1) ?? ""
        let definition: ExperimentDefinition
        do {
            definition = try ExperimentDefinition(jsonText: text)
        } catch {
            throw ExperimentStoreError(
                .corrupt, "a stored experiment cannot be read back (\(error.description)): \(text.prefix(200))"
            )
        }
        return StoredExperiment(
            projectID: Int64(try result.int(row, 0) ?? 0), definition: definition, version: try result.int(row, 2) ?? 1,
            versionStartedAt: result.string(row, 3), stoppedAt: result.string(row, 4),
            createdAt: result.string(row, 5) ?? "", updatedAt: result.string(row, 6) ?? ""
        )
    }
}
