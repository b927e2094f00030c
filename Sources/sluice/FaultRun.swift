import Foundation
import SluicePostgres
import SluiceStore

#if canImport(Glibc)
import Glibc
#endif

/// One fault of the table: load, the fault, recovery, more load, then the exact check of what is stored
/// against what was acknowledged.
struct FaultRun {
    let rig: FaultRig
    let fault: Fault
    let project: Project
    let holds: Holds
    let connections: Int

    /// How long any one step may take before the run reports it hung; generous, the machine may be busy.
    static let bound: Duration = .seconds(300)

    func measure() throws -> FaultResult {
        var result = FaultResult(fault: fault)
        if fault == .diskFull && rig.spoolVolumeBytes == nil {
            result.skipped = "needs root to mount a tmpfs for the spool"
            return result
        }
        let client = FaultLoadClient(
            host: "127.0.0.1", port: rig.port, writeKey: project.writeKey, label: fault.rawValue,
            pause: .milliseconds(20)
        )
        client.start(threads: connections)
        var stopped = false
        // A step that throws (a server that would not start, a hang) leaves no server to answer the clients.
        defer { if !stopped { client.abandon() } }
        try Self.waitUntil("the first acknowledgement") { client.acknowledgedCount > 0 }
        sleep(UInt32(holds.load))

        let injected = ContinuousClock.now
        result.problem = try inject()
        let cleared = ContinuousClock.now
        result.heldSeconds = BenchFigures.seconds(cleared - injected)

        // Recovered: the server acknowledges again and everything acknowledged by the end of the fault is stored.
        let acknowledgedByThen = client.acknowledgedCount
        let counter = StoredCounter(rig: rig, projectID: project.id)
        try Self.waitUntil("recovery after \(fault.title)") {
            client.acknowledgedCount > acknowledgedByThen && (counter.count() ?? -1) >= acknowledgedByThen
        }
        result.recoverySeconds = BenchFigures.seconds(ContinuousClock.now - cleared)
        sleep(UInt32(holds.load))
        client.stop()
        stopped = true

        let acknowledged = Set(client.acknowledgedIDs)
        try Self.waitUntil("the loader to store every acknowledged event") {
            (counter.count() ?? -1) >= acknowledged.count
        }
        // Anything stored without an answer (its connection broke) is loaded by now too: wait until the count
        // holds still across a second.
        var last = counter.count() ?? -1
        try Self.waitUntil("the loader to go idle") {
            sleep(1)
            let now = counter.count() ?? -1
            defer { last = now }
            return now == last
        }
        let stored = try rig.connect().query(
            "SELECT message_id, count(*) FROM analytics.events WHERE project_id = $1 GROUP BY message_id",
            [String(project.id)]
        )
        var copies: [String: Int] = [:]
        for row in 0..<stored.rowCount {
            if let id = stored.string(row, 0) { copies[id] = try stored.int(row, 1) ?? 0 }
        }
        result.acknowledged = acknowledged.count
        result.lost = acknowledged.filter { copies[$0] == nil }.count
        result.duplicated = copies.values.reduce(0) { $0 + max(0, $1 - 1) }
        result.refused = client.refusedRequests
        result.resent = client.brokenRequests
        return result
    }

    /// Injects the fault and returns once it is over (the condition cleared; for a crash, the server
    /// restarted). Returns a problem to report, if the server misbehaved beyond the fault.
    private func inject() throws -> String? {
        switch fault {
        case .kill9:
            try rig.stopServer(SIGKILL)
            try rig.startServer()
        case .postgresRestart:
            try rig.stopPostgres()
            sleep(UInt32(holds.outage))
            try rig.startPostgres()
        case .restartInOutage:
            try rig.stopPostgres()
            let exit = try rig.stopServer(SIGTERM)
            try rig.startServer()
            sleep(UInt32(holds.outage))
            try rig.startPostgres()
            if exit != 0 { return "\(fault.rawValue): sluice serve exited with \(exit) on SIGTERM during the outage" }
        case .postgresSlow:
            let locker = try rig.connect()
            try locker.execute("BEGIN")
            try locker.execute("LOCK TABLE analytics.events IN ACCESS EXCLUSIVE MODE")
            sleep(UInt32(holds.lock))
            try locker.execute("COMMIT")
        case .diskFull:
            let started = ContinuousClock.now
            while ContinuousClock.now - started < .seconds(holds.diskFull) {
                rig.fillSpoolVolume()
                usleep(100_000)
            }
            rig.freeSpoolVolume()
        case .tornTail:
            try rig.stopServer(SIGKILL)
            let path = try rig.tearSpoolTail(bytes: 777, seed: 20_261_201)
            Terminal.note("appended 777 random bytes to \(path)")
            try rig.startServer()
        case .sigterm:
            let exit = try rig.stopServer(SIGTERM)
            try rig.startServer()
            if exit != 0 { return "\(fault.rawValue): sluice serve exited with \(exit) on SIGTERM" }
        }
        return nil
    }

    /// Polls `condition` every 50 ms until it holds; throws "hung" once ``bound`` has passed.
    static func waitUntil(_ what: String, _ condition: () throws -> Bool) throws {
        let deadline = ContinuousClock.now + bound
        while try !condition() {
            guard ContinuousClock.now < deadline else { throw BenchError("hung: waited \(bound) for \(what)") }
            usleep(50_000)
        }
    }
}

/// The number of a project's stored events, over a connection that is opened again after PostgreSQL restarts.
final class StoredCounter {
    let rig: FaultRig
    let projectID: Int64
    private var connection: PostgresConnection?

    init(rig: FaultRig, projectID: Int64) {
        self.rig = rig
        self.projectID = projectID
    }

    /// The count, or nil while the database cannot be reached.
    func count() -> Int? {
        do {
            if connection == nil { connection = try rig.connect() }
            return try connection!.query(
                "SELECT count(*) FROM analytics.events WHERE project_id = $1", [String(projectID)]
            ).int(0, 0)
        } catch {
            connection = nil
            return nil
        }
    }
}
