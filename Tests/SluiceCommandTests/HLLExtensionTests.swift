import EmbeddedPostgres
import Foundation
import SluicePostgres
import SluiceStore
import SluiceTestSupport
import Testing

/// `sluice migrate` where the `hll` extension cannot be created: one line on stderr that says what to do,
/// exit 1, and nothing of the migration that needs it.
extension SluiceCommandTests {
    /// A copy of this machine's PostgreSQL installation without the hll package: the server binaries copied
    /// under `root` (PostgreSQL finds its share directory relative to its own binary), the library directory
    /// linked, and the share directory linked entry by entry, leaving out the extension's files.
    /// - Returns: the copy's bin directory.
    static func installationWithoutHLL(at root: String) throws -> String {
        let bin = try LocalCluster.findBinDirectory()  // e.g. /usr/lib/postgresql/15/bin
        let version = URL(fileURLWithPath: bin).deletingLastPathComponent().lastPathComponent
        let share = "/usr/share/postgresql/\(version)"
        let manager = FileManager.default
        try #require(
            bin == "/usr/lib/postgresql/\(version)/bin" && manager.fileExists(atPath: share + "/extension/hll.control"),
            "this test rebuilds Debian's layout of PostgreSQL \(version) with postgresql-\(version)-hll"
        )
        let copyBin = root + "/lib/postgresql/\(version)/bin"
        let copyShare = root + "/share/postgresql/\(version)"
        // Readable and searchable by the postgres user, who runs the server when the tests run as root.
        let open: [FileAttributeKey: Any] = [.posixPermissions: 0o755]
        try manager.createDirectory(atPath: root, withIntermediateDirectories: true, attributes: open)
        try manager.createDirectory(atPath: copyBin, withIntermediateDirectories: true, attributes: open)
        try manager.createDirectory(
            atPath: copyShare + "/extension", withIntermediateDirectories: true, attributes: open)
        // Copied by cp, not by this process: a file this process held open for writing would be inherited by
        // the children that parallel tests fork meanwhile, and executing it would fail (ETXTBSY).
        let copy = try ChildProcess.run(
            ["/bin/cp", "-p"] + ["postgres", "initdb", "pg_ctl"].map { bin + "/" + $0 } + [copyBin])
        try #require(copy.status == 0, "cp: \(copy.output)")
        try manager.createSymbolicLink(
            atPath: root + "/lib/postgresql/\(version)/lib", withDestinationPath: "/usr/lib/postgresql/\(version)/lib")
        for entry in try manager.contentsOfDirectory(atPath: share) where entry != "extension" {
            try manager.createSymbolicLink(atPath: copyShare + "/" + entry, withDestinationPath: share + "/" + entry)
        }
        for entry in try manager.contentsOfDirectory(atPath: share + "/extension") where !entry.hasPrefix("hll") {
            try manager.createSymbolicLink(
                atPath: copyShare + "/extension/" + entry, withDestinationPath: share + "/extension/" + entry)
        }
        return copyBin
    }

    /// The highest migration before 0007, where a migrate that cannot create the extension stops.
    static func versionBeforeSessions() throws -> String {
        String(try #require(try Migrator.bundled().files.map(\.version).filter { $0 < 7 }.max()))
    }

    /// What of migration 0007 is in the database at `url`: its tables, the extension, the highest version.
    func sessionsSchema(_ url: String) throws -> [String?] {
        try PostgresConnection(url).query(
            """
            SELECT to_regclass('analytics.sessions')::text, to_regclass('analytics.rollup_hourly')::text,
                   to_regclass('sluice.event_marks')::text,
                   (SELECT extname FROM pg_extension WHERE extname = 'hll'),
                   (SELECT max(version)::text FROM sluice.migrations)
            """
        ).rows[0]
    }

    @Test func migrateOnAServerWithoutTheHLLPackageNamesItAndAppliesNothingOfItsMigration() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-nohll-\(UUID().uuidString)")
            .path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let bin = try Self.installationWithoutHLL(at: root)
        var cluster = try LocalCluster.prepare(at: root + "/data", durable: false, binDirectory: bin)
        try cluster.start()
        defer { try? cluster.stop(immediate: true) }
        let url = cluster.connectionString()
        let available = try PostgresConnection(url).query(
            "SELECT count(*) FROM pg_available_extensions WHERE name = 'hll'")
        #expect(available.string(0, 0) == "0")

        let run = try await sluice(["migrate", "--database-url", url])
        #expect(run.status == 1, "\(run.output)")
        #expect(run.errorLines.count == 1, "\(run.output)")
        let version = URL(fileURLWithPath: bin).deletingLastPathComponent().lastPathComponent
        #expect(
            run.errorLines.first?.contains("install the package postgresql-\(version)-hll") == true, "\(run.output)")
        #expect(run.errorLines.first?.contains("0007_sessions_and_rollups.sql") == true, "\(run.output)")
        // The migrations before it are in; nothing of it is.
        #expect(try sessionsSchema(url) == [nil, nil, nil, nil, try Self.versionBeforeSessions()])
    }

    @Test func migrateByAnOwnerWhoMayNotCreateTheExtensionSaysWhoMayAndAppliesNothingOfIt() async throws {
        let cluster = try TestDatabase.cluster()
        let admin = try PostgresConnection(cluster.connectionString())
        let name = "nohll_\(UInt32.random(in: 0...UInt32.max))"
        try admin.execute("CREATE ROLE \(name) LOGIN")
        try admin.execute("CREATE DATABASE \(name) OWNER \(name)")
        let owner = "host=127.0.0.1 port=\(cluster.port) user=\(name) dbname=\(name) connect_timeout=10"

        let run = try await sluice(["migrate", "--database-url", owner])
        #expect(run.status == 1, "\(run.output)")
        #expect(run.errorLines.count == 1, "\(run.output)")
        #expect(run.errorLines.first?.contains("only a superuser may create it") == true, "\(run.output)")
        #expect(try sessionsSchema(owner) == [nil, nil, nil, nil, try Self.versionBeforeSessions()])

        // Once a superuser has created it, the owner's migrate goes through.
        try PostgresConnection(cluster.connectionString(database: name)).execute("CREATE EXTENSION hll")
        let again = try await sluice(["migrate", "--database-url", owner])
        #expect(again.status == 0, "\(again.output)")
        #expect(
            try sessionsSchema(owner).prefix(4) == [
                "analytics.sessions", "analytics.rollup_hourly", "sluice.event_marks", "hll",
            ])
    }
}
