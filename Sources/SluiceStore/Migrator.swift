// SluiceStore: what Sluice does to its database apart from loading events: apply the schema, keep the
// daily partitions ahead of the data, manage projects. Every operation goes through SluicePostgres.

import SluicePostgres
import SluiceSQL

/// Applies the numbered files of `sql/migrations` that a database has not seen yet.
///
/// Each file runs in its own transaction together with the row that records it in `sluice.migrations`, so
/// a file that fails leaves nothing of itself behind and is retried on the next run. A session-level
/// advisory lock serialises concurrent runs (two servers starting at once, a deploy script and a cron
/// line): the second waits, then finds everything applied and does nothing.
public struct Migrator: Sendable {
    public let files: [MigrationFile]

    /// The advisory lock key that `migrate` holds while it runs ("sluice" in ASCII, then 1).
    static let lockKey: Int64 = 0x736C_7569_6365_0001

    public init(files: [MigrationFile]) {
        self.files = files
    }

    /// A migrator for the files shipped with this binary.
    public static func bundled() throws -> Migrator {
        do {
            return Migrator(files: try SQLFiles.migrations())
        } catch {
            throw StoreError(error.description)
        }
    }

    /// What a run did.
    public struct Report: Sendable, Equatable {
        /// The files applied by this run, in order; empty when the schema was already current.
        public var applied: [String]
        /// The highest version now in the database.
        public var version: Int
    }

    /// Brings the database up to the newest file.
    ///
    /// - Parameter progress: called with each file's name before it is applied.
    /// - Throws: `StoreError` naming the file that failed (its transaction rolled back), a file whose text
    ///   changed after it was applied, or a database newer than this binary; `PostgresError` when the
    ///   connection fails.
    @discardableResult
    public func migrate(_ connection: PostgresConnection, progress: (String) -> Void = { _ in }) throws -> Report {
        try connection.query("SELECT pg_advisory_lock($1)", [String(Self.lockKey)])
        defer { _ = try? connection.query("SELECT pg_advisory_unlock($1)", [String(Self.lockKey)]) }

        try connection.execute(
            """
            CREATE SCHEMA IF NOT EXISTS sluice;
            CREATE TABLE IF NOT EXISTS sluice.migrations (
                version     integer     PRIMARY KEY,
                name        text        NOT NULL,
                checksum    text        NOT NULL,
                applied_at  timestamptz NOT NULL DEFAULT now()
            );
            """
        )
        let applied = try appliedVersions(connection)
        try verify(applied: applied, connection: connection)

        var report = Report(applied: [], version: applied.keys.max() ?? 0)
        for file in files where applied[file.version] == nil {
            progress(file.name)
            do {
                try connection.transaction { connection in
                    try connection.execute(file.sql)
                    try connection.query(
                        """
                        INSERT INTO sluice.migrations (version, name, checksum)
                        VALUES ($1, $2, encode(sha256(convert_to($3, 'UTF8')), 'hex'))
                        """,
                        [String(file.version), file.name, file.sql]
                    )
                }
            } catch let error as PostgresError where error.code == .server {
                throw StoreError(
                    "migration \(file.name) failed and was rolled back, nothing of it applied: \(error.description)"
                )
            }
            report.applied.append(file.name)
            report.version = max(report.version, file.version)
        }
        return report
    }

    /// The versions recorded in `sluice.migrations`, with their names and checksums.
    private func appliedVersions(_ connection: PostgresConnection) throws -> [Int: (name: String, checksum: String)] {
        let result = try connection.query("SELECT version, name, checksum FROM sluice.migrations")
        var applied: [Int: (name: String, checksum: String)] = [:]
        for row in 0..<result.rowCount {
            guard let version = try result.int(row, 0) else { continue }
            applied[version] = (result.string(row, 1) ?? "", result.string(row, 2) ?? "")
        }
        return applied
    }

    /// Refuses to go on when the database and the files disagree about what was applied.
    private func verify(applied: [Int: (name: String, checksum: String)], connection: PostgresConnection) throws {
        let known = Dictionary(uniqueKeysWithValues: files.map { ($0.version, $0) })
        if let unknown = applied.keys.sorted().first(where: { known[$0] == nil }) {
            throw StoreError(
                "the database has migration \(applied[unknown]!.name) that this sluice does not know; "
                    + "it was migrated by a newer sluice, so upgrade this one"
            )
        }
        for (version, record) in applied {
            let file = known[version]!
            let result = try connection.query("SELECT encode(sha256(convert_to($1, 'UTF8')), 'hex')", [file.sql])
            if result.string(0, 0) != record.checksum {
                throw StoreError(
                    "migration \(file.name) was edited after it was applied to this database; restore the file "
                        + "as it was and put the change in a new migration"
                )
            }
        }
    }
}
