import Foundation
import Logging
import NIOPosix
import SluiceCore
import SluicePostgres
import SluiceSpool
import SluiceStore
import Synchronization

/// Write key → project id, for authenticating ingest requests without a database round trip.
///
/// All projects are loaded at start. An unknown key triggers a reload (a project created while the server
/// runs works at once), at most once a second so that a client hammering with a wrong key cannot turn
/// every request into a query; during that second the key is answered 401 from memory.
///
/// With a cache directory (the spool directory), every load from the database that changes the keys is
/// saved there (``ProjectKeyCache``), and a start while the database is unreachable serves from that file
/// (``loadSaved()``) until a reload succeeds.
///
/// Thread safety: any thread. The map sits behind a mutex held only to read or swap it; the reload runs
/// on NIO's blocking thread pool with its own connection, serialised by `reloadLock`, which also guards the
/// saved file.
package final class ProjectDirectory: Sendable {
    private let connectionString: String
    private let cacheDirectory: String?
    private let storage: any SpoolStorage
    private let logger: Logger
    private let keys = Mutex<[String: Int64]>([:])
    private let lastReload = Mutex<ContinuousClock.Instant?>(nil)
    /// Serialises reloads; holds what the cache file was last written with (or read from).
    private let reloadLock = Mutex<ProjectKeyCache.Saved?>(nil)
    /// Whether the last reload failed for want of the database (its failures are logged once, not each time).
    private let unreachable = Atomic<Bool>(false)
    private static let reloadInterval: Duration = .seconds(1)

    /// - Parameters:
    ///   - cacheDirectory: where to keep ``ProjectKeyCache``'s file; nil keeps nothing.
    ///   - storage: the file system of `cacheDirectory` (the spool's).
    package init(
        connectionString: String, cacheDirectory: String? = nil, storage: any SpoolStorage = PosixSpoolStorage(),
        logger: Logger
    ) {
        self.connectionString = connectionString
        self.cacheDirectory = cacheDirectory
        self.storage = storage
        self.logger = logger
    }

    /// Loads every project's write key from the database (on `connection`, else a new one) and saves them;
    /// call before serving, and again when the database is back after a start without it.
    ///
    /// - Throws: `PostgresError` when the database cannot be read.
    package func load(_ connection: PostgresConnection? = nil) throws {
        try reloadLock.withLock { saved in
            try reload(connection ?? PostgresConnection.connect(connectionString, retry: .never), saved: &saved)
        }
    }

    /// Serves the keys saved by an earlier run against the configured database, for a start while it is
    /// unreachable.
    ///
    /// - Returns: what was loaded (when and from which database it was saved).
    /// - Throws: ``IngestError`` (`databaseUnavailable`) when there is no saved file, it cannot be read, or
    ///   it was saved from a different database than the configured one.
    package func loadSaved() throws -> ProjectKeyCache.Saved {
        guard let directory = cacheDirectory, let saved = try ProjectKeyCache.load(from: directory, storage: storage) else {
            let path = cacheDirectory.map(ProjectKeyCache.path(in:)) ?? "the spool directory"
            throw IngestError(
                .databaseUnavailable,
                "PostgreSQL is unreachable and \(path) holds no project keys from an earlier run against it; "
                    + "start sluice serve once while the database is reachable (check --database-url)"
            )
        }
        let target = try PostgresConnection.target(of: connectionString)
        guard saved.target == target else {
            throw IngestError(
                .databaseUnavailable,
                "PostgreSQL is unreachable, and the project keys in \(ProjectKeyCache.path(in: directory)) were "
                    + "saved from another database (\(saved.target), not \(target)); start once while the "
                    + "configured database is reachable"
            )
        }
        keys.withLock { $0 = saved.projects }
        reloadLock.withLock { $0 = saved }
        unreachable.store(true, ordering: .relaxed)
        return saved
    }

    /// The project of `writeKey`, or nil if no project has it (after a reload, unless one ran within the
    /// last second).
    package func projectID(writeKey: String) async -> Int64? {
        if let id = keys.withLock({ $0[writeKey] }) { return id }
        let due = lastReload.withLock { last in
            guard let previous = last, ContinuousClock.now - previous < Self.reloadInterval else {
                last = .now
                return true
            }
            return false
        }
        guard due else { return nil }
        do {
            try await NIOThreadPool.singleton.runIfActive { [self] in
                try reloadLock.withLock { saved in
                    try reload(PostgresConnection.connect(connectionString, retry: .never), saved: &saved)
                }
            }
        } catch {
            // During an outage every unknown key would log the same failure; say it once.
            if !unreachable.exchange(true, ordering: .relaxed) {
                logger.warning(
                    "could not reload the projects' write keys; serving the known ones", metadata: ["error": "\(error)"]
                )
            }
        }
        return keys.withLock { $0[writeKey] }
    }

    /// Reads the keys and, when they differ from the saved file, saves them. Runs under `reloadLock`.
    private func reload(_ connection: PostgresConnection, saved: inout ProjectKeyCache.Saved?) throws {
        let projects = try ProjectStore.list(on: connection)
        var map: [String: Int64] = [:]
        for project in projects { map[project.writeKey] = project.id }
        keys.withLock { $0 = map }
        lastReload.withLock { $0 = .now }
        if unreachable.exchange(false, ordering: .relaxed) {
            logger.info("loaded the projects' write keys from the database again", metadata: ["projects": "\(map.count)"])
        }
        guard let directory = cacheDirectory else { return }
        do {
            let identity = try Self.identity(connection)
            let target = try PostgresConnection.target(of: connectionString)
            if let previous = saved, previous.identity != identity, previous.target == target {
                logger.warning(
                    "the database now reached is not the one the saved project keys came from; saving its keys",
                    metadata: ["before": "\(previous.identity)", "now": "\(identity)"]
                )
            }
            guard saved?.projects != map || saved?.identity != identity || saved?.target != target else { return }
            let fresh = ProjectKeyCache.Saved(
                target: target, identity: identity, savedAt: Timestamp.now().iso8601String, projects: map
            )
            try ProjectKeyCache.save(fresh, in: directory, storage: storage)
            saved = fresh
        } catch {
            logger.warning(
                "could not save the projects' write keys; a start during a database outage would use older ones",
                metadata: ["error": "\(error)"]
            )
        }
    }

    /// `database NAME (oid N), system S`: which database `connection` reached. The system identifier (unique
    /// per cluster, kept by backups and replicas alike) is left out when the role may not read it.
    private static func identity(_ connection: PostgresConnection) throws -> String {
        let database = try connection.query(
            """
            SELECT current_database(), (SELECT oid FROM pg_database WHERE datname = current_database()),
                   has_function_privilege('pg_control_system()', 'EXECUTE')
            """
        )
        var text = "database \(database.string(0, 0) ?? "?") (oid \(database.string(0, 1) ?? "?"))"
        if database.bool(0, 2) == true,
            let system = try connection.query("SELECT system_identifier::text FROM pg_control_system()").string(0, 0)
        {
            text += ", system \(system)"
        }
        return text
    }
}
