import ArgumentParser
import Foundation
import SluicePostgres
import SluiceStore

#if canImport(Glibc)
import Glibc
#endif

/// `sluice bench faults`: the fault table. Under steady load from a client that records every acknowledged
/// messageId, each fault is injected in turn, and afterwards, with no manual step, every acknowledged event
/// must be in PostgreSQL exactly once.
struct BenchFaults: FailingCommand {
    static let configuration = CommandConfiguration(
        commandName: "faults",
        abstract: "Inject each fault under load and check that every acknowledged event is stored exactly once.",
        discussion: """
            Starts a private PostgreSQL cluster and a sluice serve child (spool on a 32 MiB tmpfs when run as \
            root), then for each fault: steady load from --connections clients that resend a request until it \
            is answered 200 (as Segment's SDKs do), the fault, recovery with no manual step, more load; then \
            the acknowledged messageIds are compared with analytics.events. "recovered" is the time from the \
            end of the fault (for a crash: the crash; the server is restarted at once, as a service manager \
            would) until the server acknowledges again and every event acknowledged by then is in \
            PostgreSQL. Exits 1 if any event is lost or duplicated. --quick is the short form CI runs.

            Example: sluice bench faults --faults kill-9,disk-full --lock-seconds 5
            """
    )

    @Option(help: "Comma-separated faults to inject (default all): \(Fault.allCases.map(\.rawValue).joined(separator: ", ")).")
    var faults: String?
    @Option(name: .customLong("lock-seconds"), help: "How long LOCK TABLE analytics.events is held.")
    var lockSeconds = 20
    @Option(name: .customLong("outage-seconds"), help: "How long PostgreSQL stays down in the outage faults.")
    var outageSeconds = 10
    @Option(name: .customLong("disk-full-seconds"), help: "How long the spool's volume stays full.")
    var diskFullSeconds = 10
    @Option(name: .customLong("load-seconds"), help: "Seconds of load before and after each fault.")
    var loadSeconds = 3
    @Option(help: "Concurrent client connections.") var connections = 4
    @Flag(help: "The short form (3 s holds, 1 s of load around each fault), as CI runs it.") var quick = false
    @Flag(help: "Print one JSON line last.") var json = false

    func validate() throws {
        guard (1...64).contains(connections) else { throw ValidationError("--connections must be between 1 and 64") }
        for (name, value) in [
            ("--lock-seconds", lockSeconds), ("--outage-seconds", outageSeconds),
            ("--disk-full-seconds", diskFullSeconds), ("--load-seconds", loadSeconds),
        ] where !(1...600).contains(value) {
            throw ValidationError("\(name) must be between 1 and 600")
        }
        _ = try selectedFaults()
    }

    func selectedFaults() throws -> [Fault] {
        guard let faults else { return Fault.allCases }
        return try faults.split(separator: ",").map { name in
            guard let fault = Fault(rawValue: name.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError(
                    "--faults: no fault named '\(name)'; choose from \(Fault.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
            return fault
        }
    }

    func execute() throws {
        let holds = quick
            ? Holds(lock: 3, outage: 3, diskFull: 3, load: 1)
            : Holds(lock: lockSeconds, outage: outageSeconds, diskFull: diskFullSeconds, load: loadSeconds)
        let selected = try selectedFaults()
        Terminal.note("starting a private PostgreSQL cluster and sluice serve")
        let rig = try FaultRig(spoolVolumeBytes: 32 << 20)
        var finished = false
        defer {
            if !finished { Terminal.note("server logs:\n" + rig.serverLogs.joined(separator: "\n---\n")) }
            rig.tearDown()
        }
        if rig.spoolVolumeBytes == nil {
            Terminal.note("the spool is not on a volume of its own (mounting a tmpfs needs root): disk-full is skipped")
        }
        let setup = try rig.connect()
        let projects = try selected.map { try ProjectStore.create(name: "faults-\($0.rawValue)", on: setup).project }
        try rig.startServer()

        var results: [FaultResult] = []
        for (fault, project) in zip(selected, projects) {
            Terminal.note("\(fault.title): load, fault, recovery")
            let result = try FaultRun(rig: rig, fault: fault, project: project, holds: holds, connections: connections)
                .measure()
            Terminal.note(
                "\(fault.title): \(result.acknowledged) acknowledged, \(result.lost) lost, "
                    + "\(result.duplicated) duplicated\(result.recoverySeconds.map { ", recovered in \(BenchFigures.format($0)) s" } ?? "")"
            )
            results.append(result)
        }
        let exit = try rig.stopServer(SIGTERM)
        finished = true
        report(results)
        if exit != 0 { throw BenchError("sluice serve exited with \(exit) on SIGTERM at the end of the run") }
        let failed = results.filter { $0.lost > 0 || $0.duplicated > 0 || $0.problem != nil }
        if !failed.isEmpty {
            throw BenchError(
                "events lost or duplicated, or a fault not recovered from: "
                    + failed.map { $0.problem.map { "\($0)" } ?? $0.fault.rawValue }.joined(separator: "; ")
            )
        }
    }

    private func report(_ results: [FaultResult]) {
        let header = ["fault", "held", "acknowledged", "refused", "resent", "lost", "duplicated", "recovered"]
        let rows = results.map { result -> [String] in
            guard result.skipped == nil else { return [result.fault.title, "-", "-", "-", "-", "-", "-", "skipped"] }
            return [
                result.fault.title, "\(BenchFigures.format(result.heldSeconds)) s", String(result.acknowledged),
                String(result.refused), String(result.resent), String(result.lost), String(result.duplicated),
                result.recoverySeconds.map { "\(BenchFigures.format($0)) s" } ?? "never",
            ]
        }
        for line in TextTable.lines([header] + rows) { print(line) }
        print("refused: requests answered 503/429 and sent again; resent: requests whose connection broke first")
        for result in results { if let skipped = result.skipped { print("\(result.fault.title): skipped, \(skipped)") } }
        if json {
            let entries = results.map { result -> [String: Any] in
                var entry: [String: Any] = [
                    "fault": result.fault.rawValue, "acknowledged": result.acknowledged, "lost": result.lost,
                    "duplicated": result.duplicated, "refused": result.refused, "resent": result.resent,
                    "heldSeconds": result.heldSeconds,
                ]
                entry["recoverySeconds"] = result.recoverySeconds
                entry["skipped"] = result.skipped
                return entry
            }
            if let data = try? JSONSerialization.data(withJSONObject: ["faults": entries], options: [.sortedKeys]) {
                print(String(decoding: data, as: UTF8.self))
            }
        }
    }
}

/// The faults the table injects, in the order it injects them.
enum Fault: String, CaseIterable {
    case kill9 = "kill-9"
    case postgresRestart = "postgres-restart"
    case restartInOutage = "restart-in-outage"
    case postgresSlow = "postgres-slow"
    case diskFull = "disk-full"
    case tornTail = "torn-tail"
    case sigterm

    var title: String {
        switch self {
        case .kill9: "kill -9 of the server"
        case .postgresRestart: "PostgreSQL fast shutdown and restart"
        case .restartInOutage: "server restart during a PostgreSQL outage"
        case .postgresSlow: "PostgreSQL slow (LOCK TABLE held)"
        case .diskFull: "spool disk full"
        case .tornTail: "torn spool tail (kill -9, garbage appended)"
        case .sigterm: "SIGTERM and restart"
        }
    }
}

/// How long each held fault lasts, and the load around each fault, in seconds.
struct Holds {
    let lock: Int
    let outage: Int
    let diskFull: Int
    let load: Int
}

/// One row of the fault table.
struct FaultResult {
    let fault: Fault
    var heldSeconds = 0.0
    var acknowledged = 0
    var refused = 0
    var resent = 0
    var lost = 0
    var duplicated = 0
    var recoverySeconds: Double?
    /// Why the fault could not be injected here.
    var skipped: String?
    /// What went wrong beyond lost or duplicated events (a server that did not exit 0 on SIGTERM, say).
    var problem: String?
}
