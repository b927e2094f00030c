// EmbeddedPostgres: a private PostgreSQL cluster on loopback that Sluice creates (initdb), starts and stops
// itself. `sluice serve` and `sluice demo` use it when no database URL is given; the tests use it for a
// throwaway server.

import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A PostgreSQL cluster in a directory of its own, listening on one loopback port.
///
/// When the process runs as root the server binaries run as the `postgres` user (PostgreSQL refuses to run
/// as root), so the directory is handed to that user. Authentication is `trust` on 127.0.0.1 only: the
/// cluster is a local development or test database, never reachable from another machine.
public struct LocalCluster: Sendable {
    /// The cluster's data directory (`PGDATA`).
    public let dataDirectory: String
    /// The PostgreSQL server binaries (`initdb`, `pg_ctl`, `postgres`).
    public let binDirectory: String
    /// The loopback TCP port the server listens on.
    public private(set) var port: Int
    /// The superuser the cluster was created with.
    public let superuser = "postgres"

    /// A libpq connection string for `database` on this cluster.
    public func connectionString(database: String = "postgres") -> String {
        "host=127.0.0.1 port=\(port) user=\(superuser) dbname=\(database) connect_timeout=10"
    }

    /// Opens the cluster in `dataDirectory`, creating it with `initdb` when the directory holds none.
    ///
    /// - Parameters:
    ///   - durable: `false` turns off `fsync` and `synchronous_commit`, for throwaway test clusters only.
    ///   - binDirectory: the server binaries to use; nil finds them (``findBinDirectory()``).
    /// - Throws: `LocalClusterError` with the command's output when `initdb` fails or no binaries are found.
    public static func prepare(
        at dataDirectory: String, durable: Bool = true, binDirectory: String? = nil
    ) throws -> LocalCluster {
        let binDirectory = try binDirectory ?? findBinDirectory()
        let path = URL(fileURLWithPath: dataDirectory).standardizedFileURL.path
        var cluster = LocalCluster(dataDirectory: path, binDirectory: binDirectory, port: 0)
        if !FileManager.default.fileExists(atPath: path + "/PG_VERSION") {
            try cluster.initialize(durable: durable)
        }
        cluster.port = cluster.configuredPort() ?? 0
        return cluster
    }

    /// Starts the server on a free loopback port (or on `requestedPort`) and waits until it accepts
    /// connections.
    ///
    /// A server already running in this directory (a `postmaster.pid` whose process is alive) is reused.
    /// A requested port is tried once: restarting on the port clients already know (as a test of a
    /// database outage does) must not silently move the server.
    public mutating func start(port requestedPort: Int? = nil) throws {
        if let running = runningPort() {
            port = running
            return
        }
        var lastError: (any Error)?
        // A port found free can be taken by someone else before the server binds it: try a few.
        for _ in 0..<(requestedPort == nil ? 5 : 1) {
            port = try requestedPort ?? Self.freeLoopbackPort()
            try writePort(port)
            let log = dataDirectory + "/server.log"
            do {
                _ = try runAsOwner([binDirectory + "/pg_ctl", "-D", dataDirectory, "-l", log, "-w", "-t", "60", "start"])
                return
            } catch {
                lastError = error
            }
        }
        throw lastError ?? LocalClusterError(message: "could not start PostgreSQL in \(dataDirectory)")
    }

    /// Stops the server. `immediate` skips the shutdown checkpoint (for throwaway clusters).
    public func stop(immediate: Bool = false) throws {
        guard runningPort() != nil else { return }
        _ = try runAsOwner([
            binDirectory + "/pg_ctl", "-D", dataDirectory, "-w", "-t", "60", "-m", immediate ? "immediate" : "fast",
            "stop",
        ])
    }

    /// Whether a server for this directory is running, judged by `postmaster.pid` and its process.
    public var isRunning: Bool { runningPort() != nil }

    // MARK: - Creating

    private func initialize(durable: Bool) throws {
        let manager = FileManager.default
        try manager.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        try handToOwner(dataDirectory)
        _ = try runAsOwner([
            binDirectory + "/initdb", "-D", dataDirectory, "-U", superuser, "--auth=trust", "--encoding=UTF8",
            "--locale=C.UTF-8", "--no-instructions",
        ])
        var settings = """

            # Written by sluice: a private cluster on loopback.
            listen_addresses = '127.0.0.1'
            unix_socket_directories = ''
            max_connections = 200
            shared_buffers = 256MB
            max_wal_size = 2GB
            logging_collector = off

            """
        if !durable {
            settings += "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: dataDirectory + "/postgresql.conf"))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(settings.utf8))
        try handle.close()
    }

    private func writePort(_ port: Int) throws {
        // postgresql.auto.conf is the file PostgreSQL itself rewrites; the last setting wins.
        let path = dataDirectory + "/postgresql.auto.conf"
        let existing = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        let kept = existing.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("port =") }
            .joined(separator: "\n")
        let text = (kept.hasSuffix("\n") || kept.isEmpty ? kept : kept + "\n") + "port = \(port)\n"
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        try handToOwner(path)
    }

    private func configuredPort() -> Int? {
        guard let text = try? String(contentsOfFile: dataDirectory + "/postgresql.auto.conf", encoding: .utf8)
        else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("port =") {
            return Int(line.dropFirst("port =".count).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }

    /// The port of the server running in this directory, read from `postmaster.pid` (line 1: pid, line 4: port).
    private func runningPort() -> Int? {
        guard let text = try? String(contentsOfFile: dataDirectory + "/postmaster.pid", encoding: .utf8) else {
            return nil
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count > 3, let pid = Int32(lines[0]), let port = Int(lines[3]) else { return nil }
        return kill(pid, 0) == 0 ? port : nil
    }

    // MARK: - Processes

    private static var isRoot: Bool { geteuid() == 0 }

    /// Gives `path` to the `postgres` user when running as root, so the server can own its directory.
    private func handToOwner(_ path: String) throws {
        guard Self.isRoot else { return }
        guard let entry = getpwnam(superuser) else {
            throw LocalClusterError(
                message: "running as root needs a 'postgres' system user to run PostgreSQL; install the "
                    + "postgresql package (apt-get install -y postgresql)"
            )
        }
        if chown(path, entry.pointee.pw_uid, entry.pointee.pw_gid) != 0 {
            throw LocalClusterError(message: "could not hand \(path) to the postgres user: \(String(cString: strerror(errno)))")
        }
        if path == dataDirectory, chmod(path, 0o700) != 0 {
            throw LocalClusterError(message: "could not set permissions of \(path)")
        }
        try Self.checkReachable(path)
    }

    /// The postgres user must be able to walk every parent directory (a checkout under /root is not).
    private static func checkReachable(_ path: String) throws {
        var url = URL(fileURLWithPath: path).deletingLastPathComponent()
        while url.path != "/" {
            var info = stat()
            if stat(url.path, &info) == 0, info.st_mode & 0o001 == 0, info.st_uid != getpwnam("postgres")?.pointee.pw_uid {
                throw LocalClusterError(
                    message: "the postgres user cannot enter \(url.path), so it cannot run a cluster below it; "
                        + "allow it (chmod o+x \(url.path)), work in another directory, or set SLUICE_DATABASE_URL"
                )
            }
            url = url.deletingLastPathComponent()
        }
    }

    @discardableResult
    private func runAsOwner(_ arguments: [String]) throws -> String {
        let command = Self.isRoot ? ["/usr/sbin/runuser", "-u", superuser, "--"] + arguments : arguments
        return try Self.run(command)
    }

    private static func run(_ command: [String]) throws -> String {
        let child = try ChildProcess.run(command)
        guard child.status == 0 else {
            let name = URL(fileURLWithPath: command.first { $0.hasPrefix("/") && !$0.hasSuffix("runuser") } ?? command[0])
                .lastPathComponent
            let detail = child.output.split(separator: "\n").last.map(String.init) ?? "exit status \(child.status)"
            throw LocalClusterError(message: "\(name) failed: \(detail)", output: child.output)
        }
        return child.output
    }

    /// The directory of the PostgreSQL server binaries: `SLUICE_PG_BINDIR`, `pg_config --bindir`, or the
    /// newest `/usr/lib/postgresql/N/bin` (Debian's layout).
    public static func findBinDirectory() throws -> String {
        let manager = FileManager.default
        if let configured = ProcessInfo.processInfo.environment["SLUICE_PG_BINDIR"] {
            return configured
        }
        let versions = (try? manager.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        let candidates = versions.compactMap(Int.init).sorted(by: >).map { "/usr/lib/postgresql/\($0)/bin" }
        for directory in candidates where manager.isExecutableFile(atPath: directory + "/initdb") {
            return directory
        }
        if let bindir = try? run(["/usr/bin/env", "pg_config", "--bindir"]).trimmingCharacters(in: .whitespacesAndNewlines),
            manager.isExecutableFile(atPath: bindir + "/initdb")
        {
            return bindir
        }
        throw LocalClusterError(
            message: "no PostgreSQL server binaries found (initdb); install them with "
                + "'apt-get install -y postgresql' or set SLUICE_PG_BINDIR"
        )
    }

    /// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, read it back, close).
    public static func freeLoopbackPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw LocalClusterError(message: "socket() failed: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw LocalClusterError(message: "no free loopback port: \(String(cString: strerror(errno)))") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// A failure to create, start or stop a local cluster, with the tool's output for the log.
public struct LocalClusterError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var output: String
    public var description: String { message }

    public init(message: String, output: String = "") {
        self.message = message
        self.output = output
    }
}
