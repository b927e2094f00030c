import ArgumentParser
import Foundation
import SluiceCore
import SluiceIngest
import SluicePostgres
import SluiceStore

/// `sluice bench dedupe`: what the dedupe window costs in memory per id, and what rebuilding it from the
/// database at start-up costs in time and memory, against reading the same rows as one result.
///
/// Each measurement runs in a fresh child process (this binary), so memory one of them freed cannot hide
/// the next one's growth.
struct BenchDedupe: FailingCommand {
    static let configuration = CommandConfiguration(
        commandName: "dedupe",
        abstract: "Measure the dedupe window: resident bytes per id, and its rebuild from the database at start-up.",
        discussion: """
            First fills a window of --capacity ids and reports the growth of resident memory per id (what to \
            size --dedupe-capacity by). Then loads --rows rows received within the last day into a scratch \
            database and rebuilds a window from them as sluice serve does at start (a server-side cursor, \
            newest --capacity first), reporting the rate and the peak memory growth; and, for comparison, \
            reads the same rows as one PQexecParams result, as the rebuild did before it streamed.

            Example:
              sluice bench dedupe --capacity 5000000
            """
    )

    @Option(help: "Ids the window holds (sluice serve's --dedupe-capacity).") var capacity = 5_000_000
    @Option(help: "Rows in the database for the rebuild; 0 skips it.") var rows = 2_000_000
    @Option(help: .hidden) var only: String?
    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        guard capacity > 0 else { throw ValidationError("--capacity must be at least 1") }
        guard rows >= 0 else { throw ValidationError("--rows must not be negative") }
        guard [nil, "window", "cursor", "result"].contains(only) else { throw ValidationError("unknown --only") }
    }

    func execute() throws {
        switch only {
        case "window": try measureWindow()
        case "cursor": try measureCursor()
        case "result": try measureOneResult()
        default: try runAll()
        }
    }

    private func runAll() throws {
        try Self.child(["--only", "window", "--capacity", "\(capacity)"])
        guard rows > 0 else { return }
        try database.withServer { connectionString, _ in
            let scratch = try ScratchDatabase(server: connectionString)
            defer { scratch.drop() }
            let connection = try scratch.connect()
            let today = CalendarDay.today()
            try PartitionMaintainer(backfillDays: 1, premakeDays: 1).run(connection, today: today)
            Terminal.note("inserting \(rows) rows received within the last day")
            try connection.query(
                """
                INSERT INTO analytics.events (project_id, message_id, type, "timestamp", received_at)
                SELECT 1, 'message-' || n, 'track', now() - make_interval(secs => n * 80000.0 / $1::int),
                       now() - make_interval(secs => n * 80000.0 / $1::int)
                FROM generate_series(1, $1::int) AS n
                """,
                [String(rows)]
            )
            try connection.execute("VACUUM ANALYZE analytics.events")
            for part in ["cursor", "result"] {
                try Self.child(
                    ["--only", part, "--capacity", "\(capacity)", "--database-url", scratch.connectionString]
                )
            }
        }
    }

    private func measureWindow() throws {
        let now = Timestamp.now()
        let ids = (0..<capacity).map { DedupeWindow.key(projectID: 1, messageID: "message-\($0)") }
        let (base, peak) = Self.measure {
            var window = DedupeWindow(window: .seconds(86_400), capacity: capacity, now: now)
            for key in ids { _ = window.insert(key, at: now) }
            withExtendedLifetime(window) {}
        }
        let perID = Double(peak - base) / Double(capacity)
        print(
            "window of \(capacity) ids: resident +\(BenchFigures.megabytes(peak - base)) MB, "
                + String(format: "%.1f", perID) + " bytes per id"
        )
    }

    private func measureCursor() throws {
        let connection = try scratchConnection()
        var read = 0
        var seconds = 0.0
        var failure: (any Error)?
        let (base, peak) = Self.measure {
            var window = DedupeWindow(window: .seconds(86_400), capacity: capacity)
            do {
                seconds = try BenchFigures.time {
                    read = try DedupeRebuild.mergeDatabaseHalf(
                        connection, into: &window, partitionWindow: PartitionWindow(backfillDays: 1, premakeDays: 1)
                    ).rows
                }
            } catch {
                failure = error
            }
            withExtendedLifetime(window) {}
        }
        if let failure { throw failure }
        print(
            "rebuild, cursor:     \(read) ids in \(String(format: "%.2f", seconds)) s "
                + "(\(BenchFigures.format(Double(read) / seconds)) ids/s), peak resident "
                + "+\(BenchFigures.megabytes(peak - base)) MB, the window of \(capacity) included"
        )
    }

    private func measureOneResult() throws {
        let connection = try scratchConnection()
        var held = 0
        var failure: (any Error)?
        let (base, peak) = Self.measure {
            do {
                let result = try connection.query(
                    """
                    SELECT project_id, message_id, floor(extract(epoch FROM received_at))::bigint
                    FROM analytics.events WHERE received_at >= now() - interval '1 day'
                    ORDER BY received_at DESC LIMIT $1
                    """,
                    [String(capacity)]
                )
                held = result.rowCount
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
        print(
            "one result (before): \(held) rows held at once, peak resident "
                + "+\(BenchFigures.megabytes(peak - base)) MB before a single id is in a window"
        )
    }

    private func scratchConnection() throws -> PostgresConnection {
        guard let url = database.configuredURL else { throw ValidationError("--only needs --database-url") }
        return try DatabaseOptions.connect(url, source: "the scratch database")
    }

    /// Runs this binary's `bench dedupe` with `arguments` and passes its output on.
    private static func child(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        process.arguments = ["bench", "dedupe"] + arguments
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ExitCode(process.terminationStatus)
        }
    }

    /// This process's resident bytes before `body`, and its peak resident bytes by the time it returned.
    static func measure(_ body: () -> Void) -> (before: Int, peak: Int) {
        let before = status("VmRSS:")
        body()
        return (before, status("VmHWM:"))
    }

    private static func status(_ field: String) -> Int {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix(field) } ?? ""
        return (line.split(separator: " ").compactMap { Int($0) }.first ?? 0) * 1024
    }
}
