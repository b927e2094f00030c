import ArgumentParser
import EmbeddedPostgres
import Foundation
import SluiceCore
import SluicePostgres
import SluiceSchedulerCore
import SluiceStore
import SluiceWorkload

/// `sluice bench ingest`: the end-to-end rate, HTTP request in to row committed, against a raw `COPY` of
/// the same rows into the same table, in one run.
///
/// By default it starts its own `sluice serve` (this binary, as a child process, so its memory is measured
/// on its own) on a scratch database created on the configured server and dropped after the run. With
/// `--url` it drives a server that is already running instead.
struct BenchIngest: FailingCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "End to end: realistic Segment events over HTTP until committed, against a raw COPY of the same rows.",
        discussion: """
            Events are generated before the clock starts (page, track, identify and the rest, real user agents \
            and URLs, unique messageIds), sent as /v1/batch requests over --connections keep-alive connections, \
            and the rate is counted from the first request sent to the last row committed in PostgreSQL. Then \
            the same rows are loaded with psql \\copy in text format (the raw COPY), with Sluice's binary COPY \
            alone, and, on --compare-rows of them, with 1,000-row INSERT statements and with one INSERT per \
            event. With --jobs the server runs its scheduler too, with the sessions, rollups and assignments \
            jobs every --jobs-interval seconds (2 by default, far more often than their defaults of 60; give \
            60 and enough events for a run of several minutes to see what the defaults cost), to show what the \
            jobs cost ingest: compare the ratio of a run with --jobs against one without. While the loader is \
            saturated, as it is all through this benchmark, the jobs work only --jobs-busy-share percent of the \
            time (the server's default, 5); the report says how long they paused and how long after the last \
            commit they had caught up. --jobs-busy-share 100 shows what they cost when they never yield. \
            --json prints one JSON line last.

            Examples:
              sluice bench ingest --events 1000000 --batch 100 --connections 8 --json
              sluice bench ingest --events 1000000 --jobs --json
              sluice bench ingest --events 4000000 --jobs --jobs-interval 60 --json
              sluice bench ingest --events 1000000 --jobs --jobs-busy-share 100 --json
            """
    )

    @Option(help: "Events to send.") var events = 1_000_000
    @Option(help: "Events per /v1/batch request.") var batch = 100
    @Option(help: "Concurrent keep-alive connections.") var connections = 4
    @Option(help: "The server's --ack mode: durable or memory.") var ack = "durable"
    @Option(help: "Rows for the INSERT comparisons (one INSERT per event is slow); 0 skips them.")
    var compareRows = 20_000
    @Option(help: "Drive a running server at this URL (http://127.0.0.1:8080) instead of starting one.")
    var url: String?
    @Option(name: .customLong("write-key"), help: "The write key of a project on the --url server.")
    var writeKey: String?
    @Flag(help: "Run the scheduler in the server, the sessions, rollups and assignments jobs every --jobs-interval.")
    var jobs = false
    @Option(name: .customLong("jobs-interval"), help: "Seconds between runs of each job with --jobs (1-3600).")
    var jobsInterval = 2
    @Option(
        name: .customLong("jobs-busy-share"),
        help: "With --jobs: the server's --jobs-busy-share, the percent of time its jobs work while the loader is saturated (1-100; 100 never yields; default 5)."
    )
    var jobsBusyShare: String?
    @Flag(help: "Print one JSON line last.") var json = false
    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        guard events > 0 else { throw ValidationError("--events must be at least 1") }
        guard (1...2_500).contains(batch) else { throw ValidationError("--batch must be between 1 and 2500") }
        guard (1...256).contains(connections) else { throw ValidationError("--connections must be between 1 and 256") }
        guard ["durable", "memory"].contains(ack) else { throw ValidationError("--ack must be durable or memory") }
        guard compareRows >= 0 else { throw ValidationError("--compare-rows must not be negative") }
        if url != nil && writeKey == nil { throw ValidationError("--url needs --write-key") }
        if url != nil && jobs { throw ValidationError("--jobs starts its own server; it cannot go with --url") }
        if let jobsBusyShare {
            guard jobs else { throw ValidationError("--jobs-busy-share goes with --jobs") }
            guard JobPacing(percent: jobsBusyShare) != nil else {
                throw ValidationError("--jobs-busy-share must be a percent from 1 to 100, not '\(jobsBusyShare)'")
            }
        }
        guard (1...3_600).contains(jobsInterval) else {
            throw ValidationError("--jobs-interval must be between 1 and 3600 seconds")
        }
    }

    func execute() throws {
        try database.withServer { connectionString, _ in
            let scratch = try ScratchDatabase(server: connectionString)
            defer { scratch.drop() }
            let connection = try scratch.connect()
            let now = Timestamp.now()
            try PartitionMaintainer(backfillDays: 8, premakeDays: 1).run(connection, today: CalendarDay(now))

            let ingestDatabase = url == nil ? scratch.connectionString : connectionString
            let project = try url == nil
                ? ProjectStore.create(name: "bench", on: connection).project
                : Self.project(writeKey: writeKey!, on: try DatabaseOptions.connect(connectionString, source: database.source))

            Terminal.note("generating \(events) realistic events")
            var generator = SyntheticEvents(projectID: project.id, seed: 20_261_123, days: 7, now: now)
            let rows = generator.rows(events)
            let requests = Self.requests(rows, batch: batch, writeKey: project.writeKey)
            let bodyBytes = requests.bodies.reduce(0) { $0 + $1 }
            Terminal.note(
                "\(requests.all.count) requests of \(batch) events, \(BenchFigures.megabytes(bodyBytes)) MB of JSON "
                    + "(\(bodyBytes / max(1, events)) bytes an event)"
            )

            let server: any BenchServer =
                if let url { try RemoteServer(url: url) } else {
                    try LocalServer.start(
                        database: scratch.connectionString, ack: ack, jobsInterval: jobs ? jobsInterval : nil,
                        jobsBusyShare: jobsBusyShare)
                }
            let ingest = try runIngest(requests, rows: rows.count, server: server, project: project, database: ingestDatabase)
            let jobRuns = jobs ? try JobRuns.afterCatchingUp(connection, interval: jobsInterval) : nil
            let peakRSS = server.stop()
            if let jobRuns {
                Terminal.note(
                    "the server's jobs while it ran: \(jobRuns.succeeded) runs of sessions and rollups touching "
                        + "\(jobRuns.rowsTouched) rows, \(jobRuns.failed) failed; they yielded "
                        + "\(String(format: "%.1f", jobRuns.yieldSeconds)) s to the saturated loader and caught up "
                        + "\(String(format: "%.1f", jobRuns.catchUpSeconds)) s after the last commit"
                )
                if jobRuns.failed > 0 { throw BenchError("\(jobRuns.failed) job runs failed during the benchmark") }
            }

            Terminal.note("raw COPY of the same rows (psql \\copy, text format)")
            let comparison = try compare(rows, connection: connection, scratch: scratch)
            report(ingest: ingest, comparison: comparison, peakRSS: peakRSS, jobRuns: jobRuns, bodyBytes: bodyBytes)
        }
    }

    // MARK: - Ingest

    struct IngestResult {
        var seconds: Double
        var latencies: [Double]
        var retries: Int
    }

    private func runIngest(
        _ requests: (all: [[UInt8]], events: [Int], bodies: [Int]), rows: Int, server: any BenchServer,
        project: Project, database: String
    ) throws -> IngestResult {
        let generator = LoadGenerator(
            host: server.host, port: server.port, requests: requests.all, eventsPerRequest: requests.events
        )
        let watcher = try CommitWatcher(database: database, projectID: project.id, nodeID: server.nodeID)
        let baseline = try watcher.committed()
        Terminal.note("sending over \(connections) connection(s), --ack \(ack)")
        let started = ContinuousClock.now
        let done = DispatchSemaphore(value: 0)
        let connections = self.connections
        let box = ResultBox()
        Thread.detachNewThread {
            do {
                box.latencies = try generator.run(connections: connections)
            } catch {
                box.error = error
            }
            done.signal()
        }
        var latencies: [Double] = []
        var lastNote = ContinuousClock.now
        var committed = 0
        var sentAll = false
        while true {
            if !sentAll, done.wait(timeout: .now() + .milliseconds(50)) == .success {
                sentAll = true
                if let error = box.error { throw error }
                latencies = box.latencies
            }
            committed = try watcher.committed() - baseline
            if sentAll && committed >= rows { break }
            if sentAll { usleep(20_000) }
            if ContinuousClock.now - lastNote >= .seconds(2) {
                lastNote = .now
                let elapsed = BenchFigures.seconds(ContinuousClock.now - started)
                let memory = server.residentBytes.map { ", server RSS \($0 / 1_048_576) MB" } ?? ""
                Terminal.note(
                    "sent \(generator.acknowledgedEvents)/\(rows), committed \(committed) "
                        + "(\(BenchFigures.format(Double(committed) / elapsed)) events/s)\(memory)"
                )
                if sentAll && elapsed > 600 {
                    throw BenchError("only \(committed) of \(rows) rows committed after 10 minutes")
                }
            }
        }
        let seconds = BenchFigures.seconds(ContinuousClock.now - started)
        return IngestResult(seconds: seconds, latencies: latencies.sorted(), retries: generator.retriedRequests)
    }

    /// Prepared HTTP requests: all bytes, events in each, and each body's size.
    static func requests(_ rows: [EventRow], batch: Int, writeKey: String) -> (
        all: [[UInt8]], events: [Int], bodies: [Int]
    ) {
        let authorization = "Basic " + Data("\(writeKey):".utf8).base64EncodedString()
        var all: [[UInt8]] = []
        var events: [Int] = []
        var bodies: [Int] = []
        var start = 0
        while start < rows.count {
            let chunk = rows[start..<min(start + batch, rows.count)]
            let body = SegmentEventJSON.batch(chunk)
            var request = Array(
                ("POST /v1/batch HTTP/1.1\r\nHost: sluice\r\nAuthorization: \(authorization)\r\n"
                    + "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n").utf8
            )
            request.append(contentsOf: body)
            all.append(request)
            events.append(chunk.count)
            bodies.append(body.count)
            start += chunk.count
        }
        return (all, events, bodies)
    }

    static func project(writeKey: String, on connection: PostgresConnection) throws -> Project {
        guard let project = try ProjectStore.project(writeKey: writeKey, on: connection) else {
            throw StoreError("no project has the write key given with --write-key")
        }
        return project
    }

    /// What the server's scheduler did during a `--jobs` run, from `sluice.job_runs`.
    struct JobRuns {
        var succeeded: Int
        var failed: Int
        var rowsTouched: Int
        /// Seconds the runs paused for the saturated loader (`--jobs-busy-share`), as their summaries say.
        var yieldSeconds: Double
        /// Seconds from the last commit of the benchmark's events until the jobs had derived and rolled up
        /// every row: how far the dashboards' numbers trailed the events.
        var catchUpSeconds = 0.0

        /// Waits until the jobs have worked on every row sent (the rate above was measured before this wait):
        /// no event mark and no rollup mark left, and no sessions or rollups run still going (a run records
        /// what it touched when it ends). The loader marks nothing more once the last row is in, and each job
        /// deletes its marks in the transaction that does their work, so empty tables mean that work is
        /// committed. Then counts the runs. The wait gives up after ten minutes and two intervals.
        static func afterCatchingUp(_ connection: PostgresConnection, interval: Int) throws -> JobRuns {
            let started = ContinuousClock.now
            let limit = 600 + 2 * interval
            Terminal.note("waiting for the jobs to derive and roll up the last rows (at most \(limit) s)")
            let deadline = ContinuousClock.now + .seconds(limit)
            while try connection.query(
                """
                SELECT EXISTS (SELECT FROM sluice.event_marks) OR EXISTS (SELECT FROM sluice.rollup_marks)
                    OR EXISTS (SELECT FROM sluice.job_runs WHERE job IN ('sessions', 'rollups') AND status = 'running')
                """
            ).string(0, 0) == "t" {
                guard ContinuousClock.now < deadline else {
                    throw BenchError("the server's jobs had not caught up \(limit) s after the last commit")
                }
                usleep(100_000)
            }
            var runs = try JobRuns(connection)
            let waited = ContinuousClock.now - started
            runs.catchUpSeconds = waited.inSeconds
            return runs
        }

        init(_ connection: PostgresConnection) throws {
            let result = try connection.query(
                """
                SELECT count(*) FILTER (WHERE status = 'succeeded'), count(*) FILTER (WHERE status = 'failed'),
                       coalesce(sum(rows_touched) FILTER (WHERE status = 'succeeded'), 0),
                       coalesce(sum(substring(summary FROM 'yielded ([0-9.]+) s')::float8), 0)::text
                FROM sluice.job_runs WHERE job IN ('sessions', 'rollups')
                """
            )
            succeeded = try result.int(0, 0) ?? 0
            failed = try result.int(0, 1) ?? 0
            rowsTouched = try result.int(0, 2) ?? 0
            yieldSeconds = result.string(0, 3).flatMap(Double.init) ?? 0
        }
    }

    // MARK: - The same rows, other ways

    struct Comparison {
        var copySeconds: Double
        var binarySeconds: Double
        var multiRowSeconds: Double?
        var oneByOneSeconds: Double?
        var compared: Int
    }

    private func compare(_ rows: [EventRow], connection: PostgresConnection, scratch: ScratchDatabase) throws
        -> Comparison
    {
        func relabelled(_ name: String) throws -> [EventRow] {
            let project = try ProjectStore.create(name: name, on: connection).project
            return rows.map { row in
                var row = row
                row.projectID = project.id
                return row
            }
        }
        let psql = try Psql.find()
        let textFile = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-bench-\(getpid()).copy").path
        defer { try? FileManager.default.removeItem(atPath: textFile) }
        _ = try BenchCopy.writeTextFile(try relabelled("raw copy"), to: textFile)
        let copySeconds = try BenchFigures.time { try psql.copy(textFile, into: scratch.connectionString) }
        Terminal.note("raw COPY: \(BenchFigures.rate(rows.count, copySeconds))")

        let binaryRows = try relabelled("binary copy")
        let binarySeconds = try BenchFigures.time { _ = try connection.copyEvents(binaryRows) }
        Terminal.note("binary COPY alone: \(BenchFigures.rate(rows.count, binarySeconds))")

        var comparison = Comparison(copySeconds: copySeconds, binarySeconds: binarySeconds, compared: 0)
        let subset = min(compareRows, rows.count)
        if subset > 0 {
            comparison.compared = subset
            let multi = Array(try relabelled("multi-row insert").prefix(subset))
            comparison.multiRowSeconds = try InsertTechniques.multiRow(multi, on: connection)
            Terminal.note("1,000-row INSERTs: \(BenchFigures.rate(subset, comparison.multiRowSeconds!))")
            let single = Array(try relabelled("one insert per event").prefix(subset))
            comparison.oneByOneSeconds = try InsertTechniques.oneByOne(single, on: connection)
            Terminal.note("one INSERT per event: \(BenchFigures.rate(subset, comparison.oneByOneSeconds!))")
        }
        return comparison
    }

    // MARK: - Report

    private func report(ingest: IngestResult, comparison: Comparison, peakRSS: Int?, jobRuns: JobRuns?, bodyBytes: Int) {
        let ours = Double(events) / ingest.seconds
        let copy = Double(events) / comparison.copySeconds
        let binary = Double(events) / comparison.binarySeconds
        let p50 = BenchFigures.percentile(ingest.latencies, 0.50) * 1000
        let p99 = BenchFigures.percentile(ingest.latencies, 0.99) * 1000
        let ratio = ours / copy
        func line(_ name: String, _ rate: Double, _ note: String = "") {
            let padded = name.padding(toLength: 34, withPad: " ", startingAt: 0)
            let value = (BenchFigures.format(rate) + " rows/s").padding(toLength: 16, withPad: " ", startingAt: 0)
            print("\(padded)\(value)\(String(format: "%.2f", rate / copy)) x raw COPY\(note)")
        }
        print(
            "events            \(events) in \(events / batch) requests of \(batch), \(connections) connection(s), "
                + "--ack \(ack)\(jobs ? ", jobs every \(jobsInterval) s" : "")"
        )
        line("sluice end to end (HTTP → row)", ours, "  p50 \(String(format: "%.1f", p50)) ms, p99 \(String(format: "%.1f", p99)) ms")
        line("raw COPY (psql \\copy, text)", copy)
        line("binary COPY alone", binary)
        if let multi = comparison.multiRowSeconds, let single = comparison.oneByOneSeconds {
            line("INSERT of 1,000 rows (\(comparison.compared))", Double(comparison.compared) / multi)
            line("one INSERT per event (\(comparison.compared))", Double(comparison.compared) / single)
        }
        if let peakRSS { print("server peak RSS    \(peakRSS / 1_048_576) MB") }
        if ingest.retries > 0 { print("requests retried after 503: \(ingest.retries)") }
        if json {
            var fields = [
                "\"events\":\(events)", "\"eventsPerSecond\":\(Int(ours.rounded()))",
                "\"p50Ms\":\(String(format: "%.2f", p50))", "\"p99Ms\":\(String(format: "%.2f", p99))",
                "\"copyRowsPerSecond\":\(Int(copy.rounded()))", "\"ratio\":\(String(format: "%.3f", ratio))",
                "\"binaryCopyRowsPerSecond\":\(Int(binary.rounded()))",
            ]
            if let multi = comparison.multiRowSeconds, let single = comparison.oneByOneSeconds {
                fields.append("\"multiRowInsertRowsPerSecond\":\(Int((Double(comparison.compared) / multi).rounded()))")
                fields.append("\"singleInsertRowsPerSecond\":\(Int((Double(comparison.compared) / single).rounded()))")
            }
            if let peakRSS { fields.append("\"serverPeakRssBytes\":\(peakRSS)") }
            fields.append("\"batch\":\(batch)")
            fields.append("\"connections\":\(connections)")
            fields.append("\"jobs\":\(jobs)")
            if jobs { fields.append("\"jobsIntervalSeconds\":\(jobsInterval)") }
            if let jobRuns {
                fields.append("\"jobRuns\":\(jobRuns.succeeded)")
                fields.append("\"jobsBusySharePercent\":\(jobsBusyShare ?? JobPacing.standard.percent)")
                fields.append("\"jobsYieldSeconds\":\(String(format: "%.1f", jobRuns.yieldSeconds))")
                fields.append("\"jobsCatchUpSeconds\":\(String(format: "%.1f", jobRuns.catchUpSeconds))")
            }
            print("{" + fields.joined(separator: ",") + "}")
        }
    }
}

/// What the sender thread hands back to the waiting one: written before `done.signal()` and read after
/// `done.wait()`, which orders the two, hence `@unchecked Sendable`.
private final class ResultBox: @unchecked Sendable {
    var latencies: [Double] = []
    var error: (any Error)?
}
