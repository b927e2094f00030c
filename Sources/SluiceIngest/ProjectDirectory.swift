import Foundation
import Logging
import NIOPosix
import SluicePostgres
import SluiceStore
import Synchronization

/// Write key → project id, for authenticating ingest requests without a database round trip.
///
/// All projects are loaded at start. An unknown key triggers a reload (a project created while the server
/// runs works at once), at most once a second so that a client hammering with a wrong key cannot turn
/// every request into a query; during that second the key is answered 401 from memory.
///
/// Thread safety: any thread. The map sits behind a mutex held only to read or swap it; the reload runs
/// on NIO's blocking thread pool with its own connection, serialised by `reloadLock`.
package final class ProjectDirectory: Sendable {
    private let connectionString: String
    private let logger: Logger
    private let keys = Mutex<[String: Int64]>([:])
    private let lastReload = Mutex<ContinuousClock.Instant?>(nil)
    private let reloadLock = Mutex<Void>(())
    private static let reloadInterval: Duration = .seconds(1)

    package init(connectionString: String, logger: Logger) {
        self.connectionString = connectionString
        self.logger = logger
    }

    /// Loads every project's write key; call before serving. Throws when the database cannot be read.
    package func load() throws {
        let connection = try PostgresConnection.connect(connectionString, retry: .never)
        try reload(connection)
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
                try reloadLock.withLock { _ in
                    let connection = try PostgresConnection.connect(connectionString, retry: .never)
                    try reload(connection)
                }
            }
        } catch {
            logger.warning("could not reload the projects' write keys", metadata: ["error": "\(error)"])
        }
        return keys.withLock { $0[writeKey] }
    }

    private func reload(_ connection: PostgresConnection) throws {
        let projects = try ProjectStore.list(on: connection)
        var map: [String: Int64] = [:]
        for project in projects { map[project.writeKey] = project.id }
        keys.withLock { $0 = map }
        lastReload.withLock { $0 = .now }
    }
}
