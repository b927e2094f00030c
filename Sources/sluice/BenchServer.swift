import EmbeddedPostgres
import Foundation
import SluicePostgres

#if canImport(Glibc)
import Glibc
#endif

/// The server a benchmark drives.
protocol BenchServer {
    var host: String { get }
    var port: Int { get }
    /// The spool checkpoint to watch for committed rows, or nil to count the project's rows.
    var nodeID: String? { get }
    /// The server's resident memory now, if the benchmark can see it.
    var residentBytes: Int? { get }
    /// Stops the server if the benchmark started it; returns its peak resident memory if known.
    func stop() -> Int?
}

/// `sluice serve` started by the benchmark: this same binary, as a child process with its own spool.
final class LocalServer: BenchServer {
    let process: BackgroundProcess
    let host = "127.0.0.1"
    let port: Int
    let nodeID: String? = "bench"
    let spool: String

    private let interruption: Interruption.Token

    private init(process: BackgroundProcess, port: Int, spool: String) {
        self.process = process
        self.port = port
        self.spool = spool
        interruption = Interruption.register { [pid = process.pid] in
            Self.terminate(pid)
            try? FileManager.default.removeItem(atPath: spool)
        }
    }

    /// Sends the server SIGTERM and waits up to 20 s for it to exit, then SIGKILL: for an interrupted run,
    /// off the benchmark's own thread, so by pid only.
    private static func terminate(_ pid: pid_t) {
        kill(pid, SIGTERM)
        let deadline = ContinuousClock.now + .seconds(20)
        var status: Int32 = 0
        while ContinuousClock.now < deadline {
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid || (reaped == -1 && errno == ECHILD) { return }
            usleep(50_000)
        }
        kill(pid, SIGKILL)
    }

    /// - Parameters:
    ///   - jobsInterval: run the scheduler, the sessions, rollups and assignments jobs every this many
    ///     seconds (no retention: the scratch database has nothing past any horizon); nil for `--no-jobs`.
    ///   - jobsBusyShare: with `jobsInterval`, the server's `--jobs-busy-share`; nil for its default.
    static func start(
        database: String, ack: String, jobsInterval: Int? = nil, jobsBusyShare: String? = nil
    ) throws -> LocalServer {
        let binary = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        let spool = FileManager.default.temporaryDirectory.path + "/sluice-bench-spool-\(getpid())"
        try? FileManager.default.removeItem(atPath: spool)
        let scheduling =
            jobsInterval.map { seconds in
                ["sessions", "rollups", "assignments"].flatMap { ["--job-interval", "\($0)=\(seconds)s"] }
            } ?? ["--no-jobs"]
        let yielding = jobsInterval != nil ? jobsBusyShare.map { ["--jobs-busy-share", $0] } ?? [] : []
        let process = try BackgroundProcess(
            [binary, "serve", "--port", "0"] + scheduling + yielding + [
                "--node-id", "bench", "--spool-dir", spool, "--ack", ack, "--database-url", database,
            ],
            environment: ["SLUICE_LOG_LEVEL": "warning", "SLUICE_ARCHIVE": "off"]
        )
        let line = try process.waitForLine(containing: "listening on http://")
        guard let address = line.split(separator: " ").first(where: { $0.hasPrefix("http://") }),
            let port = address.split(separator: ":").last.flatMap({ Int($0) })
        else { throw BenchError("cannot read the port from: \(line)") }
        Terminal.note("started sluice serve (pid \(process.pid)) on port \(port)")
        return LocalServer(process: process, port: port, spool: spool)
    }

    var residentBytes: Int? { process.residentBytes }

    func stop() -> Int? {
        let peak = process.peakResidentBytes
        process.signal(SIGTERM)
        do {
            let status = try process.wait()
            if status != 0 { Terminal.note("sluice serve exited with \(status):\n\(process.log)") }
        } catch {
            Terminal.note("sluice serve did not stop: \(error)")
            process.signal(SIGKILL)
        }
        try? FileManager.default.removeItem(atPath: spool)
        Interruption.done(interruption)
        return peak
    }
}

/// A server already running at `--url`.
struct RemoteServer: BenchServer {
    let host: String
    let port: Int
    let nodeID: String? = nil

    init(url: String) throws {
        guard let components = URLComponents(string: url), components.scheme == "http", let host = components.host
        else { throw BenchError("--url must look like http://127.0.0.1:8080") }
        self.host = host == "localhost" ? "127.0.0.1" : host
        self.port = components.port ?? 80
    }

    var residentBytes: Int? { nil }

    func stop() -> Int? { nil }
}

/// Counts committed rows: the loader's checkpoint total for a node (cheap), else the project's rows.
struct CommitWatcher {
    let connection: PostgresConnection
    let projectID: Int64
    let nodeID: String?

    init(database: String, projectID: Int64, nodeID: String?) throws {
        connection = try PostgresConnection(database)
        self.projectID = projectID
        self.nodeID = nodeID
    }

    func committed() throws -> Int {
        if let nodeID {
            let result = try connection.query(
                "SELECT rows_loaded FROM sluice.spool_checkpoints WHERE node_id = $1", [nodeID]
            )
            return result.rowCount == 0 ? 0 : try result.int(0, 0) ?? 0
        }
        return try connection.query(
            "SELECT count(*) FROM analytics.events WHERE project_id = $1", [String(projectID)]
        ).int(0, 0) ?? 0
    }
}
