// SluiceTestSupport: what test targets share: a real, throwaway PostgreSQL for the tests that need one, and a
// seeded random generator (SplitMix64).

import EmbeddedPostgres
import Foundation
import SluicePostgres
import SluiceStore

#if canImport(Glibc)
import Glibc
#endif

/// One throwaway PostgreSQL cluster per test process, and a fresh database per test.
///
/// The cluster is created under the system's temporary directory with `fsync` off, started on a free
/// loopback port the first time a test asks for a database, and stopped and deleted when the process
/// exits. Tests get their own database, so they run in parallel without seeing each other's rows.
public enum TestDatabase {
    private static let shared: Result<LocalCluster, LocalClusterError> = {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("sluice-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        do {
            var cluster = try LocalCluster.prepare(at: directory, durable: false)
            try cluster.start()
            clusterDirectory = directory
            atexit {
                guard let directory = TestDatabase.clusterDirectory,
                    let cluster = try? LocalCluster.prepare(at: directory)
                else { return }
                try? cluster.stop(immediate: true)
                try? FileManager.default.removeItem(atPath: directory)
            }
            return .success(cluster)
        } catch let error as LocalClusterError {
            try? FileManager.default.removeItem(atPath: directory)
            return .failure(error)
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            return .failure(LocalClusterError(message: "\(error)"))
        }
    }()

    nonisolated(unsafe) private static var clusterDirectory: String?

    /// The running test cluster.
    /// - Throws: `LocalClusterError` when PostgreSQL could not be created or started.
    public static func cluster() throws -> LocalCluster {
        try shared.get()
    }

    /// Creates an empty database with a unique name and returns its connection string.
    public static func fresh(_ label: String = "test") throws -> String {
        let cluster = try cluster()
        let clean = label.lowercased().unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) }
        let name = "t_\(String(String.UnicodeScalarView(clean)).prefix(30))_\(UInt32.random(in: 0...UInt32.max))"
        let admin = try PostgresConnection(cluster.connectionString())
        try admin.execute("CREATE DATABASE \(name)")
        return cluster.connectionString(database: name)
    }

    /// Connects to a fresh database.
    public static func connect(_ label: String = "test") throws -> PostgresConnection {
        try PostgresConnection(try fresh(label))
    }
}

/// Free loopback ports, for tests that need an address where nothing listens.
public enum LocalClusterPort {
    public static func free() throws -> Int { try LocalCluster.freeLoopbackPort() }
}

extension TestDatabase {
    /// Connects to a fresh database that carries Sluice's whole schema.
    public static func migrated(_ label: String = "test") throws -> PostgresConnection {
        let connection = try connect(label)
        try Migrator.bundled().migrate(connection)
        return connection
    }
}
