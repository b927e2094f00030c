import EmbeddedPostgres
import Foundation
import Synchronization
import SluiceCore
import SluicePostgres
import SluiceStore
import SluiceWorkload

#if canImport(Glibc)
import Glibc
#endif

/// What the fault table breaks: a private PostgreSQL cluster, one `sluice serve` child on a fixed port (so
/// clients reconnect to the same address after a restart, as behind a service manager), and the server's
/// spool, on a small tmpfs of its own when the process may mount one.
///
/// Not thread-safe: the fault table drives it from one thread while the load client's threads only talk
/// HTTP to the server.
final class FaultRig {
    let directory: String
    var cluster: LocalCluster
    let port: Int
    let spool: String
    /// Whether the spool is on a tmpfs this rig mounted (and can fill).
    let spoolVolumeBytes: Int?
    private(set) var server: BackgroundProcess? {
        didSet { serverPID.value.store(server?.pid ?? 0, ordering: .releasing) }
    }
    /// The running server's pid (0 for none), for the undo of an interrupted run.
    private let serverPID: ServerPID
    private let interruption: Interruption.Token
    /// Kills the server, stops the cluster, unmounts the spool and removes the directory: what an interrupted
    /// run and ``tearDown()`` both do.
    private let cleanUp: @Sendable () -> Void
    /// Every server's log, in order, kept for the report of a failed run.
    private(set) var serverLogs: [String] = []

    static let nodeID = "faults"

    var databaseURL: String { cluster.connectionString(database: "sluice") }

    init(spoolVolumeBytes volumeBytes: Int) throws {
        let directory = FileManager.default.temporaryDirectory.path + "/sluice-faults-\(getpid())"
        self.directory = directory
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var cluster = try LocalCluster.prepare(at: directory + "/postgres", durable: true)
        try cluster.start()
        self.cluster = cluster
        let spool = directory + "/spool"
        self.spool = spool
        // From here on the cluster runs: stop it, the server and the volume whether the run ends, fails or is
        // interrupted.
        let serverPID = ServerPID()
        self.serverPID = serverPID
        let undo: @Sendable () -> Void = { [cluster] in
            let pid = serverPID.value.load(ordering: .acquiring)
            if pid > 0 {
                // Reaped before the volume is unmounted: while it lives its open segments keep the tmpfs busy.
                kill(pid, SIGKILL)
                var status: Int32 = 0
                while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
            }
            try? cluster.stop(immediate: true)
            _ = Self.run(["/bin/umount", spool])
            try? FileManager.default.removeItem(atPath: directory)
        }
        let interruption = Interruption.register(undo)
        self.interruption = interruption
        cleanUp = undo
        do {
            port = try LocalCluster.freeLoopbackPort()
            try FileManager.default.createDirectory(atPath: spool, withIntermediateDirectories: true)
            spoolVolumeBytes = Self.mountTmpfs(at: spool, bytes: volumeBytes) ? volumeBytes : nil

            let admin = try PostgresConnection.connect(cluster.connectionString(), retry: .never)
            try admin.execute("CREATE DATABASE sluice")
            let connection = try PostgresConnection.connect(databaseURL, retry: .never)
            _ = try Migrator.bundled().migrate(connection)
            try PartitionMaintainer(backfillDays: 2, premakeDays: 2).run(connection, today: CalendarDay(Timestamp.now()))
        } catch {
            undo()
            Interruption.done(interruption)
            throw error
        }
    }

    /// A new connection to the rig's database (the cluster must be running).
    func connect() throws -> PostgresConnection {
        try PostgresConnection.connect(databaseURL, retry: .never)
    }

    // MARK: - The server

    /// Starts `sluice serve` and waits until it listens. Works while PostgreSQL is down once the server has
    /// run against it before.
    func startServer() throws {
        // The running image itself, not the path it was started from: a rebuild replacing that file while the
        // table runs made restarts start another binary, or none.
        let process = try BackgroundProcess(
            [
                "/proc/self/exe", "serve", "--port", String(port), "--no-jobs", "--node-id", Self.nodeID,
                "--spool-dir", spool,
                "--ack", "durable", "--shutdown-deadline", "20", "--database-url", databaseURL,
            ],
            environment: ["SLUICE_LOG_LEVEL": "warning"]
        )
        server = process
        _ = try process.waitForLine(containing: "listening on http://", timeout: .seconds(120))
    }

    /// Sends `signal` to the server and waits for it to exit; returns its exit status.
    @discardableResult
    func stopServer(_ signal: Int32) throws -> Int32 {
        guard let server else { return 0 }
        server.signal(signal)
        let status = try server.wait(timeout: .seconds(120))
        serverLogs.append(server.log)
        self.server = nil
        return status
    }

    // MARK: - PostgreSQL

    func stopPostgres() throws { try cluster.stop() }

    /// Starts PostgreSQL again on the port the server already knows.
    func startPostgres() throws { try cluster.start(port: cluster.port) }

    // MARK: - The spool

    /// The newest segment file, where the server appends.
    func newestSegment() throws -> String? {
        try FileManager.default.contentsOfDirectory(atPath: spool).filter { $0.hasSuffix(".seg") }.sorted().last
            .map { spool + "/" + $0 }
    }

    /// Appends `bytes` random bytes to the newest segment: the torn tail a crash in the middle of a write
    /// leaves.
    func tearSpoolTail(bytes: Int, seed: UInt64) throws -> String {
        guard let path = try newestSegment() else { throw BenchError("the spool has no segment to tear") }
        var generator = Xoshiro256StarStar(seed: seed)
        let garbage = (0..<bytes).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(garbage))
        try handle.close()
        return path
    }

    /// Fills the spool's volume to the last byte with a file beside the segments; call again to take back
    /// what the server has freed since. Returns the bytes the filler holds.
    @discardableResult
    func fillSpoolVolume() -> Int {
        let path = spool + "/filler"
        let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        guard descriptor >= 0 else { return 0 }
        defer { close(descriptor) }
        let chunk = [UInt8](repeating: 0, count: 64 * 1024)
        var size = 64 * 1024
        while size >= 1 {
            let written = chunk.withUnsafeBytes { write(descriptor, $0.baseAddress, size) }
            if written <= 0 { size /= 2 }
        }
        var status = stat()
        return fstat(descriptor, &status) == 0 ? Int(status.st_size) : 0
    }

    func freeSpoolVolume() {
        try? FileManager.default.removeItem(atPath: spool + "/filler")
    }

    // MARK: - Cleaning up

    /// Keeps the running server's log for the report, then cleans up as an interrupted run does.
    func tearDown() {
        if let server {
            server.signal(SIGKILL)
            _ = try? server.wait()
            serverLogs.append(server.log)
        }
        server = nil
        cleanUp()
        Interruption.done(interruption)
    }

    private static func mountTmpfs(at path: String, bytes: Int) -> Bool {
        guard geteuid() == 0 else { return false }
        return run(["/bin/mount", "-t", "tmpfs", "-o", "size=\(bytes),mode=0755", "tmpfs", path])
    }

    private static func run(_ arguments: [String]) -> Bool {
        (try? ChildProcess.run(arguments).status) == 0
    }
}

/// The pid of a fault rig's running server, shared with the undo of an interrupted run.
private final class ServerPID: Sendable {
    let value = Atomic<Int32>(0)
}
