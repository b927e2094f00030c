import EmbeddedPostgres
import Foundation
import SluicePostgres

/// The embedded default: a PostgreSQL cluster under `./.sluice/postgres`, used when no database is configured.
///
/// Opening creates the cluster on first use and starts it when it is not running; closing stops it again
/// only if this process started it, so a cluster that `sluice serve` keeps running is left alone.
struct EmbeddedDatabase {
    static let directory = ".sluice/postgres"
    static let databaseName = "sluice"

    let cluster: LocalCluster
    let startedHere: Bool

    var connectionString: String { cluster.connectionString(database: Self.databaseName) }

    static func open() throws -> EmbeddedDatabase {
        let path = FileManager.default.currentDirectoryPath + "/" + directory
        let existed = FileManager.default.fileExists(atPath: path + "/PG_VERSION")
        var cluster = try LocalCluster.prepare(at: path, durable: true)
        let wasRunning = cluster.isRunning
        try cluster.start()
        if !existed {
            Terminal.note(
                "created a PostgreSQL cluster in ./\(directory) and started it on 127.0.0.1:\(cluster.port) "
                    + "(set --database-url or SLUICE_DATABASE_URL to use your own database)"
            )
        } else if !wasRunning {
            Terminal.note("started the embedded PostgreSQL in ./\(directory) on 127.0.0.1:\(cluster.port)")
        }
        let admin = try PostgresConnection.connect(cluster.connectionString(), retry: .never)
        let exists = try admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [databaseName]).rowCount == 1
        if !exists {
            try admin.execute("CREATE DATABASE \(databaseName)")
        }
        return EmbeddedDatabase(cluster: cluster, startedHere: !wasRunning)
    }

    func close() {
        guard startedHere else { return }
        do {
            try cluster.stop()
        } catch {
            Terminal.note("could not stop the embedded PostgreSQL in ./\(Self.directory): \(error)")
        }
    }
}
