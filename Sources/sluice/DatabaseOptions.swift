import ArgumentParser
import EmbeddedPostgres
import Foundation
import SluicePostgres
import SluiceStore

/// `--database-url`, shared by every command that touches the database.
struct DatabaseOptions: ParsableArguments {
    @Option(
        name: .customLong("database-url"),
        help: ArgumentHelp(
            "A libpq connection string or postgres:// URL (default: SLUICE_DATABASE_URL, else the embedded cluster).",
            valueName: "url"
        )
    )
    var databaseURL: String?

    /// The database given by the option or the environment; `nil` means the embedded default.
    var configuredURL: String? {
        if let databaseURL, !databaseURL.isEmpty { return databaseURL }
        if let environment = ProcessInfo.processInfo.environment["SLUICE_DATABASE_URL"], !environment.isEmpty {
            return environment
        }
        return nil
    }

    /// Connects, runs `body`, and stops the embedded cluster again if this call started it.
    ///
    /// With `requireSchema` (all commands but `migrate`) the embedded cluster is migrated first, and a
    /// configured database must already carry the current schema.
    func withConnection<T>(requireSchema: Bool = true, _ body: (PostgresConnection) throws -> T) throws -> T {
        try withServer { connectionString, embedded in
            let connection = try Self.connect(connectionString, source: embedded ? "the embedded cluster" : source)
            if requireSchema && embedded {
                let report = try Migrator.bundled().migrate(connection)
                if !report.applied.isEmpty {
                    Terminal.note("migrated the embedded database to schema version \(report.version)")
                }
            } else if requireSchema {
                try SchemaCheck.requireCurrent(connection)
            }
            return try body(connection)
        }
    }

    /// Runs `body` with the connection string of the configured database, or of the embedded cluster
    /// (`embedded` true), which is started for the call and stopped after it if this call started it.
    func withServer<T>(_ body: (_ connectionString: String, _ embedded: Bool) throws -> T) throws -> T {
        if let url = configuredURL {
            return try body(url, false)
        }
        let embedded = try EmbeddedDatabase.open()
        // Interrupted, the command stops the cluster it started, as it does when it ends.
        let interruption = Interruption.register { embedded.close() }
        defer {
            Interruption.done(interruption)
            embedded.close()
        }
        return try body(embedded.connectionString, true)
    }

    /// Where the configured database came from, for error messages.
    var source: String { databaseURL == nil ? "SLUICE_DATABASE_URL" : "--database-url" }

    /// Connects once, turning a failure into one line that says which setting to check.
    static func connect(_ url: String, source: String) throws -> PostgresConnection {
        do {
            return try PostgresConnection.connect(url, retry: .never)
        } catch {
            guard error.code == .connection else { throw error }
            throw StoreError("\(error.description) (check \(source) and that the server is running)")
        }
    }
}

/// Refuses to work on a database whose schema is older or newer than this binary's migrations.
enum SchemaCheck {
    static func requireCurrent(_ connection: PostgresConnection) throws {
        let newest = try Migrator.bundled().files.last?.version ?? 0
        let exists = try connection.query("SELECT to_regclass('sluice.migrations') IS NOT NULL").bool(0, 0) ?? false
        let version = exists ? try connection.query("SELECT max(version) FROM sluice.migrations").int(0, 0) ?? 0 : 0
        if version < newest {
            throw StoreError(
                "the database schema is at version \(version) but this sluice needs \(newest); run 'sluice migrate' first"
            )
        }
    }
}
