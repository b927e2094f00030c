import EmbeddedPostgres
import Foundation
import Logging
import SluiceCore
import SluiceHangGuard
import SluiceLoader
import SluicePostgres
import SluiceSpool
import SluiceStore
import Testing

/// A half-open connection, made for real: the loader reaches PostgreSQL across a veth pair into a network
/// namespace (through a small TCP forwarder there), and the namespace's end of the pair is taken down in the
/// middle, so packets vanish without a reset, as when the database host loses power. Without keepalives and
/// `tcp_user_timeout` the loader would wait for the kernel's retransmissions (about 15 minutes) before it
/// noticed; with them it gives up within about 30 seconds, reconnects once the network is back, and loads the
/// batch exactly once.
///
/// Needs root, `ip` (iproute2) and `python3` (for the forwarder inside the namespace).
@Suite(.serialized, .enabled(if: FrozenNetwork.available, "needs root, ip (iproute2) and python3"))
struct FrozenConnectionTests {
    @Test func aFrozenConnectionIsAbandonedAndTheBatchLoadsOnceAfterReconnecting() throws {
        let network = try FrozenNetwork()
        defer { network.tearDown() }

        // A cluster of its own that also listens on the host's end of the pair.
        let directory = FileManager.default.temporaryDirectory.path + "/sluice-frozen-\(UUID().uuidString)"
        var cluster = try LocalCluster.prepare(at: directory, durable: false)
        defer {
            try? cluster.stop(immediate: true)
            try? FileManager.default.removeItem(atPath: directory)
        }
        try append("\nlisten_addresses = '127.0.0.1,\(network.hostAddress)'\n", to: directory + "/postgresql.conf")
        try append("\nhost all all \(network.subnet) trust\n", to: directory + "/pg_hba.conf")
        try cluster.start()
        try PostgresConnection(cluster.connectionString()).execute("CREATE DATABASE frozen")
        let direct = try PostgresConnection(cluster.connectionString(database: "frozen"))
        try Migrator.bundled().migrate(direct)

        let forwarder = try network.forward(to: cluster.port)
        defer { forwarder.signal(SIGKILL) }
        let spool = FileManager.default.temporaryDirectory.path + "/sluice-frozen-spool-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: spool, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: spool) }
        let configuration = LoaderConfiguration(
            connectionString: "host=\(network.namespaceAddress) port=\(network.forwarderPort) user=postgres dbname=frozen",
            spoolDirectory: spool, nodeID: "frozen"
        )
        let loader = SpoolLoader(configuration: configuration, logger: Logger(label: "test.frozen"))
        let writer = try SpoolWriter(directory: spool, segmentBytes: 64 << 20)
        _ = try writer.append(Payload.bytes(Payload.rows(0, 10)))
        try writer.sync()
        #expect(try loader.loadAvailable().rows == 10)
        let path = try direct.query(
            "SELECT host(client_addr) FROM pg_stat_activity WHERE application_name = 'sluice loader frozen'"
        ).string(0, 0)
        #expect(path == network.namespaceAddress, "the loader's session crosses the pair (via the forwarder)")

        _ = try writer.append(Payload.bytes(Payload.rows(10, 10)))
        try writer.sync()
        try network.freeze()
        // Without keepalives and tcp_user_timeout the kernel retransmits for about 15 minutes before the read
        // fails: longer than the hang guard, so this wait then fails saying the loader hung.
        let outcome = LoadAttempt(loader)
        let finished = outcome.wait()
        #expect(finished, "the loader hung on the frozen connection")
        guard finished else { return }
        let failure = try #require(outcome.failure, "the batch cannot have been committed over a frozen network")
        #expect((failure as? PostgresError)?.code == .connection, "\(failure)")

        try network.thaw()
        // As run() does: retry while the network comes back (the first attempts may find no route yet).
        var reloaded: Int?
        try HangGuard.wait(for: "the loader to reconnect once the network was back") {
            do {
                reloaded = try loader.loadAvailable().rows
                return true
            } catch let error as PostgresError where error.code == .connection {
                return false
            }
        }
        #expect(reloaded == 10, "reconnected, the same batch loads")
        #expect(try direct.query("SELECT count(*) FROM analytics.events").int(0, 0) == 20)
        #expect(
            try direct.query("SELECT count(DISTINCT message_id) FROM analytics.events").int(0, 0) == 20,
            "nothing loaded twice"
        )
    }

    private func append(_ text: String, to path: String) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(text.utf8))
        try handle.close()
    }
}

/// One `loadAvailable()` on a thread of its own, so the test can wait for it with a bound.
final class LoadAttempt: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    /// Written by the thread before `done` is signalled, read after the wait: the semaphore orders them.
    private(set) var failure: (any Error)?

    init(_ loader: SpoolLoader) {
        let thread = Thread { [self] in
            do {
                _ = try loader.loadAvailable()
            } catch {
                failure = error
            }
            done.signal()
        }
        thread.start()
    }

    /// Waits for the attempt to end; false when the hang guard's limit passed first.
    func wait() -> Bool {
        done.wait(timeout: .now() + HangGuard.limitInSeconds) == .success
    }
}

/// A network namespace joined to the host by a veth pair, with a TCP forwarder inside it.
final class FrozenNetwork {
    static var available: Bool { getuid() == 0 && tool("ip") != nil && tool("python3") != nil }

    let namespace: String
    let hostInterface: String
    let namespaceInterface: String
    let hostAddress: String
    let namespaceAddress: String
    let subnet: String
    let forwarderPort = 15432

    init() throws {
        let tag = String(UInt32.random(in: 0...0xFFFFF), radix: 16)
        namespace = "sluice-frozen-\(tag)"
        hostInterface = "sfz\(tag)h"
        namespaceInterface = "sfz\(tag)n"
        let third = Int.random(in: 1...250)
        hostAddress = "10.231.\(third).1"
        namespaceAddress = "10.231.\(third).2"
        subnet = "10.231.\(third).0/30"
        try Self.ip(["netns", "add", namespace])
        try Self.ip(["link", "add", hostInterface, "type", "veth", "peer", "name", namespaceInterface, "netns", namespace])
        try Self.ip(["addr", "add", hostAddress + "/30", "dev", hostInterface])
        try Self.ip(["link", "set", hostInterface, "up"])
        try Self.ip(["-n", namespace, "addr", "add", namespaceAddress + "/30", "dev", namespaceInterface])
        try Self.ip(["-n", namespace, "link", "set", namespaceInterface, "up"])
        try Self.ip(["-n", namespace, "link", "set", "lo", "up"])
    }

    /// Starts a forwarder inside the namespace: `namespaceAddress:forwarderPort` → `hostAddress:port`.
    func forward(to port: Int) throws -> BackgroundProcess {
        let script = """
            import socket, sys, threading
            server = socket.socket()
            server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            server.bind((sys.argv[1], int(sys.argv[2])))
            server.listen(16)
            print("forwarding", flush=True)
            def pump(source, target):
                try:
                    while True:
                        data = source.recv(65536)
                        if not data:
                            break
                        target.sendall(data)
                except OSError:
                    pass
            while True:
                client, _ = server.accept()
                upstream = socket.create_connection((sys.argv[3], int(sys.argv[4])))
                threading.Thread(target=pump, args=(client, upstream), daemon=True).start()
                threading.Thread(target=pump, args=(upstream, client), daemon=True).start()
            """
        let process = try BackgroundProcess(
            [
                Self.tool("ip")!, "netns", "exec", namespace, Self.tool("python3")!, "-c", script, namespaceAddress,
                String(forwarderPort), hostAddress, String(port),
            ]
        )
        _ = try process.waitForLine(containing: "forwarding")
        return process
    }

    /// Takes the namespace's end of the pair down: packets in both directions vanish, nothing is reset.
    func freeze() throws { try Self.ip(["-n", namespace, "link", "set", namespaceInterface, "down"]) }

    func thaw() throws { try Self.ip(["-n", namespace, "link", "set", namespaceInterface, "up"]) }

    /// Deletes the namespace, which deletes the pair with it.
    func tearDown() {
        _ = try? Self.ip(["netns", "del", namespace])
        _ = try? Self.ip(["link", "del", hostInterface])
    }

    private static func ip(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool("ip")!)
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            throw LocalClusterError(message: "ip \(arguments.joined(separator: " ")) failed: \(text)")
        }
    }

    static func tool(_ name: String) -> String? {
        for directory in ["/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/bin"] {
            let path = directory + "/" + name
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }
}
