import Foundation
import SluiceCore
import SluiceDemo
import SluiceExperimentsStore
import SluicePostgres
import SluiceStore
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// What `sluice demo` does around the server: the demo projects before it starts, then (on a thread of its own,
/// once it listens) the traffic through its HTTP ingest, the jobs, and the addresses to open.
final class DemoSession: Sendable {
    /// A demo site's project, created now or found from an earlier run.
    struct Site: Sendable {
        let site: DemoSite
        let projectID: Int64
        let writeKey: String
        let readKey: String
        /// Created by this run: its traffic is to be sent.
        let isNew: Bool
    }

    private struct State: Sendable {
        var connectionString = ""
        var sites: [Site] = []
        var now = Timestamp(unixMicroseconds: 0)
        var failed = false
    }

    let days: Int
    let seed: UInt64
    private let state = Mutex(State())
    /// Set once SIGINT or SIGTERM arrived: the server is shutting down, so a send that fails then is no failure.
    private let stopping = Atomic<Bool>(false)
    /// The signal sources that set ``stopping``, kept alive while the demo runs.
    private let signalSources = Mutex<[DispatchSource]>([])
    /// Events a request carries: a typical SDK flush, and well under the 500 KB request limit.
    static let eventsPerRequest = 200

    init(days: Int, seed: UInt64) {
        self.days = days
        self.seed = seed
    }

    /// Whether something went wrong after the server started (the error was printed and the server stopped).
    var failed: Bool { state.withLock { $0.failed } }

    /// Before the server starts: the partitions for the traffic's days, and the two demo projects with the shop's
    /// experiment (created, or found again by name and given new read keys).
    func prepare(connectionString: String) throws {
        let connection = try DatabaseOptions.connect(connectionString, source: "the demo's database")
        try JobPass.run("partitions", untilEmpty: nil, connection: connection, role: "demo")
        let now = Timestamp.now()
        let existing = try ProjectStore.list(on: connection)
        var sites: [Site] = []
        for site in DemoSite.all {
            if let project = existing.first(where: { $0.name == site.projectName }) {
                let readKey = try ProjectStore.replaceReadKey(projectID: project.id, on: connection)
                sites.append(
                    Site(site: site, projectID: project.id, writeKey: project.writeKey, readKey: readKey, isNew: false)
                )
                continue
            }
            let created = try ProjectStore.create(name: site.projectName, on: connection)
            if let experiment = site.experiment {
                try Self.startExperiment(
                    experiment, projectID: created.project.id, at: DemoTraffic.start(days: days, now: now),
                    on: connection)
            }
            sites.append(
                Site(
                    site: site, projectID: created.project.id, writeKey: created.project.writeKey,
                    readKey: created.readKey, isNew: true
                )
            )
        }
        let reused = sites.filter { !$0.isNew }.map(\.site.projectName)
        if !reused.isEmpty {
            Terminal.note(
                "found \(reused.joined(separator: " and ")) from an earlier run: sending no new traffic for "
                    + (reused.count == 1 ? "it" : "them") + " (delete ./.sluice to start over); new read keys below"
            )
        }
        state.withLock {
            $0.connectionString = connectionString
            $0.sites = sites
            $0.now = now
        }
    }

    /// Creates the experiment through the experiments store, running, and dates its start back to where the
    /// generated traffic begins: the demo's history is that of an experiment that ran all along, so its exposures
    /// and conversions of the past days count (results count events from the version's start on).
    static func startExperiment(
        _ experiment: DemoExperiment, projectID: Int64, at start: Timestamp, on connection: PostgresConnection
    ) throws {
        let saved = try ExperimentStore.save(experiment.definition, projectID: projectID, force: false, on: connection)
        try connection.query(
            """
            UPDATE experiments.experiments SET version_started_at = $4::timestamptz
            WHERE project_id = $1 AND key = $2 AND version = $3
            """,
            [
                String(projectID), experiment.definition.key, String(saved.experiment.version),
                start.iso8601(fractionDigits: 3),
            ]
        )
    }

    /// Once the server listens: does the rest on a thread of its own (blocking HTTP and SQL, off the event loop
    /// and Swift's cooperative pool). A failure prints one line and stops the server as SIGINT does.
    func start(host: String, port: Int) {
        // Beside swift-service-lifecycle's own sources for the same signals, which stop the server.
        let sources = [SIGINT, SIGTERM].map { number in
            // Dispatch always returns a DispatchSource (swift-service-lifecycle casts it the same way).
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global()) as! DispatchSource
            source.setEventHandler { [self] in stopping.store(true, ordering: .relaxed) }
            source.resume()
            return source
        }
        signalSources.withLock { $0 = sources }
        let thread = Thread { [self] in
            do {
                try run(host: host, port: port)
            } catch where stopping.load(ordering: .relaxed) {
                Terminal.note(
                    "stopped before the demo's traffic was all sent and rolled up (\(error)); "
                        + "delete ./.sluice (or the demo projects) to start over"
                )
            } catch {
                Terminal.error("the demo failed: \(error)")
                state.withLock { $0.failed = true }
                kill(getpid(), SIGINT)
            }
        }
        thread.name = "sluice-demo"
        thread.start()
    }

    private func run(host: String, port: Int) throws {
        let (connectionString, sites, now) = state.withLock { ($0.connectionString, $0.sites, $0.now) }
        let connection = try PostgresConnection.connect(connectionString, retry: .never)
        let fresh = sites.filter(\.isNew)
        if !fresh.isEmpty {
            let traffic = fresh.map { DemoTraffic(site: $0.site, seed: seed, days: days, now: now) }
            let total = traffic.reduce(0) { $0 + $1.events.count }
            Terminal.note(
                "sending \(total) events of \(days) days for "
                    + fresh.map(\.site.projectName).joined(separator: " and ") + " to http://\(host):\(port)/v1/batch"
            )
            let loadedBefore = try storedEvents(fresh, connection)
            var progress = DemoProgress(total: total)
            let client = try HTTPConnection(host: host, port: port)
            for (site, generated) in zip(fresh, traffic) {
                try send(generated.events, writeKey: site.writeKey, over: client, progress: &progress)
            }
            progress.finish()
            try waitUntilStored(loadedBefore + total, of: fresh, connection)
            Terminal.note(
                "all \(total) events are in analytics.events; running the sessions, rollups and assignments jobs")
            try JobPass.run("sessions", untilEmpty: "sluice.event_marks", connection: connection, role: "demo")
            try JobPass.run("rollups", untilEmpty: "sluice.rollup_marks", connection: connection, role: "demo")
            // Everything is loaded, so the assignments job need not leave the newest minute to settle.
            var environment = ProcessInfo.processInfo.environment
            environment["SLUICE_ASSIGNMENTS_SETTLE"] = "0"
            try JobPass.run(
                "assignments", untilEmpty: nil, connection: connection, role: "demo", environment: environment)
        }
        // Written at once, not through stdout's buffer: a script or a test reading the output waits for it.
        FileHandle.standardOutput.write(Data((Self.summary(sites, host: host, port: port) + "\n").utf8))
    }

    private func send(
        _ events: [DemoEvent], writeKey: String, over client: HTTPConnection, progress: inout DemoProgress
    ) throws {
        let authorization = "Basic " + Data("\(writeKey):".utf8).base64EncodedString()
        var offset = 0
        while offset < events.count {
            let chunk = events[offset..<min(offset + Self.eventsPerRequest, events.count)]
            let body = DemoEvent.batch(chunk)
            let request =
                Array(
                    ("POST /v1/batch HTTP/1.1\r\nHost: sluice\r\nAuthorization: \(authorization)\r\n"
                        + "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n").utf8
                ) + body
            var status = try client.exchange(request)
            var attempts = 1
            // Back-pressure (503) and rate limits (429) ask to try again shortly; anything else is a failure.
            while status == 503 || status == 429, attempts < 600 {
                Thread.sleep(forTimeInterval: 0.1)
                status = try client.exchange(request)
                attempts += 1
            }
            guard status == 200 else {
                throw BenchError("the server answered \(status) to a batch of demo events")
            }
            offset += chunk.count
            progress.advance(to: progress.done + chunk.count)
        }
    }

    private func storedEvents(_ sites: [Site], _ connection: PostgresConnection) throws -> Int {
        let ids = "{" + sites.map { String($0.projectID) }.joined(separator: ",") + "}"
        return try connection.query(
            "SELECT count(*) FROM analytics.events WHERE project_id = ANY($1::bigint[])", [ids]
        ).int(0, 0) ?? 0
    }

    /// Waits until the loader has copied `expected` rows of the sites into PostgreSQL; throws when the count
    /// stops moving for two minutes (a loader that cannot reach the database says why in the server's log).
    private func waitUntilStored(_ expected: Int, of sites: [Site], _ connection: PostgresConnection) throws {
        var last = -1
        var lastChange = ContinuousClock.now
        while true {
            let stored = try storedEvents(sites, connection)
            if stored >= expected { return }
            if stored != last {
                last = stored
                lastChange = .now
            } else if ContinuousClock.now - lastChange > .seconds(120) {
                throw BenchError(
                    "only \(stored) of \(expected) demo events reached analytics.events, and no more for 2 minutes; "
                        + "see the server's log above"
                )
            }
            Thread.sleep(forTimeInterval: 0.2)
        }
    }

    /// The lines that say where to look.
    static func summary(_ sites: [Site], host: String, port: Int) -> String {
        let base = "http://\(host):\(port)"
        var lines = ["", "Sluice's demo is running; Ctrl-C stops it. Open a site's dashboard:", ""]
        for site in sites {
            lines.append("  \(site.site.projectName): \(base)/#key=\(site.readKey)")
            lines.append("    project \(site.projectID), write key \(site.writeKey)")
            if let experiment = site.site.experiment {
                lines.append(
                    "    experiment \(experiment.definition.key): sluice experiments results "
                        + "\(experiment.definition.key) --project \(site.projectID)"
                )
            }
        }
        if let first = sites.first {
            lines += [
                "", "Send an event of your own:", "",
                "  curl -u '\(first.writeKey):' -H 'Content-Type: application/json' \(base)/v1/track \\",
                #"       -d '{"userId":"user-1","event":"Signed Up","properties":{"plan":"pro"}}'"#, "",
            ]
        }
        return lines.joined(separator: "\n")
    }
}
