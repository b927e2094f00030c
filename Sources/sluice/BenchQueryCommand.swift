import ArgumentParser
import Foundation
import Logging
import SluiceCore
import SluicePostgres
import SluiceScheduler
import SluiceStore
import SluiceWorkload

#if canImport(Glibc)
    import Glibc
#endif

/// `sluice bench query`: the dashboards' side. Loads generated events into a fresh project, runs the
/// sessions and rollups jobs (timing them, and again for a late batch), then times Stats API queries over
/// real HTTP keep-alive against a `sluice serve` child.
struct BenchQuery: FailingCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Dashboard queries over generated data: the jobs' cost, then p50/p99 per Stats API endpoint.",
        discussion: """
            On a scratch database (created on the configured server, dropped after the run): --events realistic \
            events (SluiceWorkload's generator) spread over 60 days are loaded by binary COPY into one project, \
            with the event marks the loader writes, so the jobs see them as they would see loaded traffic. The \
            sessions and rollups jobs then build everything (their cost is printed in seconds per million \
            events), and once more after a late batch of 1,000 events spread over the last 30 days. Then a \
            sluice serve child (this binary, --no-jobs) answers --queries requests of each endpoint, one at a \
            time over one keep-alive connection, each over a 30-day range (sliding over the data): aggregate, \
            timeseries and breakdown with and without a filter, an hourly timeseries, a breakdown by event with \
            conversion_rate, realtime, and --raw-queries of a combination of filters that no rollup answers (the \
            raw path over the range's sessions and events). --json prints one JSON line last.

            Example:
              sluice bench query --events 1000000 --queries 500 --json
            """
    )

    @Option(help: "Events to load (at least 10,000).") var events = 10_000_000
    @Option(help: "Requests per endpoint.") var queries = 1_000
    @Option(name: .customLong("raw-queries"), help: "Requests of the raw path (each reads a 30-day range of events).")
    var rawQueries = 20
    @Flag(help: "Print one JSON line last.") var json = false
    @OptionGroup var database: DatabaseOptions

    static let days = 60
    static let lateEvents = 1_000

    func validate() throws {
        guard events >= 10_000 else { throw ValidationError("--events must be at least 10000") }
        guard queries >= 1 else { throw ValidationError("--queries must be at least 1") }
        guard rawQueries >= 0 else { throw ValidationError("--raw-queries must not be negative") }
    }

    func execute() throws {
        try database.withServer { connectionString, _ in
            Terminal.note("load average before the run: \(Self.loadAverage())")
            let scratch = try ScratchDatabase(server: connectionString)
            defer { scratch.drop() }
            let connection = try scratch.connect()
            let now = Timestamp.now()
            try PartitionMaintainer(backfillDays: Self.days + 1, premakeDays: 1).run(
                connection, today: CalendarDay(now))
            let created = try ProjectStore.create(name: "bench query", on: connection)
            let project = created.project

            var generator = SyntheticEvents(
                projectID: project.id, seed: 20_261_201, days: Self.days, users: max(1_000, events / 100), now: now
            )
            let loadSeconds = try BenchFigures.time {
                try Self.load(events, from: &generator, into: connection, projectID: project.id)
            }
            Terminal.note("loaded \(events) events by COPY in \(String(format: "%.1f", loadSeconds)) s")
            let build = try Self.runJobs(scratch.connectionString, events: events)
            Terminal.note("jobs, full build: \(build.description)")

            var late = SyntheticEvents(projectID: project.id, seed: 7, days: 30, users: 1_000, now: now)
            try Self.load(
                Self.lateEvents, from: &late, into: connection, projectID: project.id, prefix: "late-",
                arrival: .now())
            let lateBuild = try Self.runJobs(scratch.connectionString, events: Self.lateEvents)
            Terminal.note("jobs, late batch of \(Self.lateEvents) events over 30 days: \(lateBuild.description)")

            let server = try LocalServer.start(database: scratch.connectionString, ack: "memory")
            defer { _ = server.stop() }
            let timings = try Self.timeQueries(
                Self.endpoints(today: CalendarDay(now), queries: queries, rawQueries: rawQueries),
                host: server.host, port: server.port, readKey: created.readKey
            )
            report(build: build, late: lateBuild, timings: timings, loadSeconds: loadSeconds)
        }
    }

    static func loadAverage() -> String {
        (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3)
            .joined(separator: " ") ?? "unknown"
    }

    // MARK: - Loading

    /// COPYs `count` rows of `generator` in transactions of up to 200,000 rows, each with the event marks of
    /// the hours it touched, as the loader records them: the distinct (project, hour) of its rows, bounded by
    /// their least `received_at`. With `arrival`, the rows are late events received then
    /// (``SyntheticEvents/lateRows(_:arrival:)``).
    static func load(
        _ count: Int, from generator: inout SyntheticEvents, into connection: PostgresConnection, projectID: Int64,
        prefix: String = "", arrival: Timestamp? = nil
    ) throws {
        var loaded = 0
        var encoder = CopyEncoder(capacity: 320 * 1024)
        while loaded < count {
            let chunk = min(200_000, count - loaded)
            var rows = arrival.map { generator.lateRows(chunk, arrival: $0) } ?? generator.rows(chunk)
            var hours = Set<UTCHour>()
            for index in rows.indices {
                if !prefix.isEmpty { rows[index].messageID = prefix + rows[index].messageID }
                hours.insert(UTCHour(rows[index].timestamp))
            }
            let receivedFrom = rows.lazy.map(\.receivedAt).min()
            try connection.transaction { connection in
                _ = try connection.copyEvents(rows, encoder: &encoder)
                try MarkTable.events.insert(
                    hours.sorted().map { (projectID: projectID, hour: $0) }, receivedFrom: receivedFrom, on: connection)
            }
            loaded += chunk
            if loaded % 1_000_000 == 0 { Terminal.note("loaded \(loaded) of \(count)") }
        }
    }

    // MARK: - Jobs

    struct JobCost: CustomStringConvertible {
        var sessions: Double = 0
        var rollups: Double = 0
        var events: Int

        var seconds: Double { sessions + rollups }
        var secondsPerMillion: Double { seconds / (Double(events) / 1e6) }
        var description: String {
            String(
                format: "sessions %.2f s + rollups %.2f s = %.2f s for %d events (%.3f s per million)", sessions,
                rollups,
                seconds, events, secondsPerMillion
            )
        }
    }

    /// Runs `sessions` until no event mark is left, then `rollups` until no rollup mark is left, each under its
    /// lease as `sluice jobs run` does; the time each took, for `events` new events.
    static func runJobs(_ connectionString: String, events: Int) throws -> JobCost {
        let connection = try PostgresConnection(connectionString)
        var cost = JobCost(events: events)
        cost.sessions = try JobPass.run(
            "sessions", untilEmpty: "sluice.event_marks", connection: connection, role: "bench-query")
        cost.rollups = try JobPass.run(
            "rollups", untilEmpty: "sluice.rollup_marks", connection: connection, role: "bench-query")
        return cost
    }

    // MARK: - Queries

    struct Endpoint {
        var name: String
        /// The request paths, one per query.
        var paths: [String]
    }

    /// The endpoints timed, each over 30-day ranges sliding across the data.
    static func endpoints(today: CalendarDay, queries: Int, rawQueries: Int) -> [Endpoint] {
        let all = "visitors,visits,pageviews,events,bounce_rate,visit_duration,views_per_visit"
        func ranges(_ count: Int) -> [String] {
            (0..<count).map { index in
                let from = today.adding(days: -(days - 1) + index % (days - 30))
                return "from=\(from)&to=\(from.adding(days: 29))"
            }
        }
        func endpoint(_ name: String, _ query: String, count: Int = queries) -> Endpoint {
            let path = query.split(separator: "?", maxSplits: 1)
            return Endpoint(name: name, paths: ranges(count).map { "/v1/stats/\(path[0])?\($0)&\(path[1])" })
        }
        var endpoints = [
            endpoint("aggregate", "aggregate?metrics=\(all)"),
            endpoint("aggregate, filtered", "aggregate?metrics=\(all)&filters=country%3D%3DUS"),
            endpoint("timeseries (day)", "timeseries?metrics=\(all)&interval=day"),
            endpoint(
                "timeseries (day), filtered", "timeseries?metrics=\(all)&interval=day&filters=browser%3D%3DChrome"),
            endpoint("timeseries (hour)", "timeseries?metrics=visitors,pageviews,visits&interval=hour"),
            endpoint("breakdown (page)", "breakdown?property=page&limit=10&metrics=visitors,pageviews,bounce_rate"),
            endpoint(
                "breakdown (referrer), filtered",
                "breakdown?property=referrer&limit=10&metrics=visitors,visits,bounce_rate&filters=referrer!%3D(none)"
            ),
            endpoint(
                "breakdown (event), conversion_rate",
                "breakdown?property=event&limit=10&metrics=visitors,events,conversion_rate"),
            Endpoint(name: "realtime", paths: Array(repeating: "/v1/stats/realtime/visitors", count: queries)),
        ]
        if rawQueries > 0 {
            endpoints.append(
                endpoint(
                    "raw path (country and browser)",
                    "aggregate?metrics=\(all)&filters=country%3D%3DUS%3Bbrowser%3D%3DChrome", count: rawQueries
                )
            )
        }
        return endpoints
    }

    struct Timing {
        var name: String
        var latencies: [Double]
        var p50: Double { BenchFigures.percentile(latencies, 0.50) }
        var p99: Double { BenchFigures.percentile(latencies, 0.99) }
    }

    /// Sends each endpoint's requests one after another over one keep-alive connection (after a few warm-up
    /// requests), each latency from the first byte sent to the last byte of its 200 answer.
    static func timeQueries(_ endpoints: [Endpoint], host: String, port: Int, readKey: String) throws -> [Timing] {
        let connection = try HTTPConnection(host: host, port: port)
        func request(_ path: String) -> [UInt8] {
            Array("GET \(path) HTTP/1.1\r\nHost: sluice\r\nAuthorization: Bearer \(readKey)\r\n\r\n".utf8)
        }
        var timings: [Timing] = []
        for endpoint in endpoints {
            for path in endpoint.paths.prefix(3) {
                let status = try connection.exchange(request(path))
                guard status == 200 else { throw BenchError("\(path) answered \(status)") }
            }
            var latencies: [Double] = []
            latencies.reserveCapacity(endpoint.paths.count)
            for path in endpoint.paths {
                let bytes = request(path)
                let started = ContinuousClock.now
                let status = try connection.exchange(bytes)
                latencies.append(BenchFigures.seconds(ContinuousClock.now - started))
                guard status == 200 else { throw BenchError("\(path) answered \(status)") }
            }
            let timing = Timing(name: endpoint.name, latencies: latencies.sorted())
            Terminal.note(
                "\(endpoint.name): p50 \(String(format: "%.2f", timing.p50 * 1000)) ms, "
                    + "p99 \(String(format: "%.2f", timing.p99 * 1000)) ms over \(latencies.count) queries"
            )
            timings.append(timing)
        }
        return timings
    }

    // MARK: - Report

    private func report(build: JobCost, late: JobCost, timings: [Timing], loadSeconds: Double) {
        print(
            "events             \(events) over \(Self.days) days in one project "
                + "(COPY \(String(format: "%.1f", loadSeconds)) s)"
        )
        print("full build         \(build.description)")
        print("late batch         \(late.description), spread over 30 days")
        let width = max(24, timings.map(\.name.count).max() ?? 0) + 2
        print("endpoint".padding(toLength: width, withPad: " ", startingAt: 0) + "queries   p50 ms   p99 ms")
        for timing in timings {
            let count = String(timing.latencies.count).padding(toLength: 10, withPad: " ", startingAt: 0)
            print(
                timing.name.padding(toLength: width, withPad: " ", startingAt: 0) + count
                    + String(format: "%6.2f   %6.2f", timing.p50 * 1000, timing.p99 * 1000)
            )
        }
        print("load average after the run: \(Self.loadAverage())")
        if json {
            let endpoints = timings.map { timing in
                #"{"name":\#(JSONString.quoted(timing.name)),"queries":\#(timing.latencies.count),"#
                    + #""p50Ms":\#(String(format: "%.3f", timing.p50 * 1000)),"#
                    + #""p99Ms":\#(String(format: "%.3f", timing.p99 * 1000))}"#
            }
            let fields = [
                #""events":\#(events)"#,
                #""buildSecondsPerMillionEvents":\#(String(format: "%.3f", build.secondsPerMillion))"#,
                #""sessionsSeconds":\#(String(format: "%.3f", build.sessions))"#,
                #""rollupsSeconds":\#(String(format: "%.3f", build.rollups))"#,
                #""lateEvents":\#(Self.lateEvents)"#,
                #""lateSeconds":\#(String(format: "%.3f", late.seconds))"#,
                #""lateSecondsPerMillionEvents":\#(String(format: "%.1f", late.secondsPerMillion))"#,
                #""endpoints":[\#(endpoints.joined(separator: ","))]"#,
            ]
            print("{" + fields.joined(separator: ",") + "}")
        }
    }
}
