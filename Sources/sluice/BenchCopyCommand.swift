import ArgumentParser
import EmbeddedPostgres
import Foundation
import SluiceCore
import SluicePostgres
import SluiceStore
import SluiceWorkload

/// `sluice bench copy`: Sluice's binary COPY against `psql \copy` in text format, same rows, same run.
///
/// Both load into `analytics.events` of a scratch database created on the same server for the run and
/// dropped after it, so the user's data is never touched. Each round truncates the table, then times one
/// load; the rounds alternate which side goes first, and the median of each side is reported.
struct BenchCopy: FailingCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy",
        abstract: "Load N realistic rows with Sluice's binary COPY and with psql \\copy (text); print both rates.",
        discussion: """
            Ours is timed from the first row encoded to the COPY committed, so it includes encoding the rows; \
            psql's from its start to its exit, so it includes reading the prepared text file. The rows are \
            generated before either is timed. With --indexes it instead measures what each candidate index \
            on analytics.events costs a binary COPY.

            Examples:
              sluice bench copy --rows 1000000 --json
              sluice bench copy --indexes
            """
    )

    @Option(help: "Rows to load per round.") var rows = 1_000_000
    @Option(help: "Rounds per side; the median is reported.") var rounds = 3
    @Flag(help: "Print one JSON line last.") var json = false
    @Flag(help: "Measure the COPY cost of candidate indexes instead of comparing with psql.") var indexes = false
    @Flag(
        name: .customLong("json-columns"),
        help: "Measure a text COPY with properties, traits and context as jsonb, json and text instead."
    )
    var jsonColumns = false
    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        guard rows > 0 else { throw ValidationError("--rows must be at least 1") }
        guard (1...15).contains(rounds) else { throw ValidationError("--rounds must be between 1 and 15") }
    }

    func execute() throws {
        try database.withServer { connectionString, _ in
            let scratch = try ScratchDatabase(server: connectionString)
            defer { scratch.drop() }
            Terminal.note("generating \(rows) realistic event rows")
            let now = Timestamp.now()
            var generator = SyntheticEvents(projectID: 1, seed: 20_261_123, days: 7, now: now)
            let events = generator.rows(rows)
            let connection = try scratch.connect()
            try PartitionMaintainer(backfillDays: 8, premakeDays: 1).run(connection, today: CalendarDay(now))
            if indexes {
                try measureIndexes(events, connection)
            } else if jsonColumns {
                try measureJSONColumns(events, connection, scratch: scratch)
            } else {
                try compareWithPsql(events, connection, scratch: scratch)
            }
        }
    }

    // MARK: - Ours against psql

    private func compareWithPsql(_ events: [EventRow], _ connection: PostgresConnection, scratch: ScratchDatabase) throws {
        let psql = try Psql.find()
        let textFile = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-bench-\(getpid()).copy").path
        defer { try? FileManager.default.removeItem(atPath: textFile) }
        let textBytes = try Self.writeTextFile(events, to: textFile)
        let binaryBytes = Self.binarySize(of: events)

        var ours: [Double] = []
        var theirs: [Double] = []
        for round in 1...rounds {
            for side in round % 2 == 1 ? [0, 1] : [1, 0] {
                try connection.execute("TRUNCATE analytics.events")
                if side == 0 {
                    let seconds = try BenchFigures.time { _ = try connection.copyEvents(events) }
                    ours.append(seconds)
                    Terminal.note("round \(round)/\(rounds): sluice binary COPY \(BenchFigures.rate(events.count, seconds))")
                } else {
                    let seconds = try BenchFigures.time { try psql.copy(textFile, into: scratch.connectionString) }
                    theirs.append(seconds)
                    Terminal.note("round \(round)/\(rounds): psql \\copy text    \(BenchFigures.rate(events.count, seconds))")
                }
                let loaded = try connection.query("SELECT count(*) FROM analytics.events").int(0, 0) ?? 0
                guard loaded == events.count else {
                    throw StoreError("bench copy loaded \(loaded) rows instead of \(events.count); the result is void")
                }
            }
        }
        let oursRate = Double(events.count) / BenchFigures.median(ours)
        let psqlRate = Double(events.count) / BenchFigures.median(theirs)
        let ratio = oursRate / psqlRate
        print("rows            \(events.count) (binary \(BenchFigures.megabytes(binaryBytes)) MB, text \(BenchFigures.megabytes(textBytes)) MB)")
        print("sluice binary   \(BenchFigures.format(oursRate)) rows/s  \(BenchFigures.format(Double(binaryBytes) / BenchFigures.median(ours) / 1e6)) MB/s")
        print("psql \\copy text \(BenchFigures.format(psqlRate)) rows/s  \(BenchFigures.format(Double(textBytes) / BenchFigures.median(theirs) / 1e6)) MB/s")
        print("ratio           \(String(format: "%.2f", ratio)) (median of \(rounds) round(s) each)")
        if json {
            print(
                "{\"rows\":\(events.count),\"rowsPerSecond\":\(Int(oursRate)),\"psqlRowsPerSecond\":\(Int(psqlRate)),"
                    + "\"ratio\":\(String(format: "%.3f", ratio)),\"binaryBytes\":\(binaryBytes),\"textBytes\":\(textBytes),"
                    + "\"rounds\":\(rounds)}"
            )
        }
    }

    /// Writes `events` as text COPY lines to `path`; returns the bytes written.
    static func writeTextFile(_ events: [EventRow], to path: String) throws -> Int {
        guard FileManager.default.createFile(atPath: path, contents: nil),
            let handle = FileHandle(forWritingAtPath: path)
        else { throw StoreError("cannot write the benchmark's text COPY file \(path)") }
        defer { try? handle.close() }
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 20)
        var total = 0
        for event in events {
            event.appendCopyText(to: &buffer)
            if buffer.count >= 1 << 20 {
                try handle.write(contentsOf: buffer)
                total += buffer.count
                buffer.removeAll(keepingCapacity: true)
            }
        }
        try handle.write(contentsOf: buffer)
        return total + buffer.count
    }

    private static func binarySize(of events: [EventRow]) -> Int {
        var encoder = CopyEncoder()
        var total = 0
        encoder.writeHeader()
        for event in events {
            encoder.append(event)
            if encoder.count >= 1 << 20 {
                total += encoder.count
                encoder.removeAll()
            }
        }
        encoder.writeTrailer()
        return total + encoder.count
    }

    // MARK: - JSON column types

    /// Loads the same text COPY file with the three JSON columns as `jsonb` (what Sluice ships), `json`
    /// (validated, stored as text) and `text` (not validated), to show what `jsonb`'s parsing costs a load.
    private func measureJSONColumns(_ events: [EventRow], _ connection: PostgresConnection, scratch: ScratchDatabase)
        throws
    {
        let psql = try Psql.find()
        let textFile = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-bench-\(getpid()).copy").path
        defer { try? FileManager.default.removeItem(atPath: textFile) }
        _ = try Self.writeTextFile(events, to: textFile)
        var results: [(String, Double)] = []
        for type in ["jsonb", "json", "text"] {
            try connection.execute("TRUNCATE analytics.events")
            let columns = ["properties", "traits", "context"].map { "ALTER COLUMN \($0) TYPE \(type) USING \($0)::\(type)" }
            try connection.execute("ALTER TABLE analytics.events " + columns.joined(separator: ", "))
            var times: [Double] = []
            for round in 1...rounds {
                try connection.execute("TRUNCATE analytics.events")
                times.append(try BenchFigures.time { try psql.copy(textFile, into: scratch.connectionString) })
                Terminal.note("\(type), round \(round)/\(rounds): \(BenchFigures.rate(events.count, times.last!))")
            }
            results.append((type, Double(events.count) / BenchFigures.median(times)))
        }
        let baseline = results[0].1
        print("JSON columns as   rows/s     vs jsonb")
        for (type, rate) in results {
            let padded = type.padding(toLength: 16, withPad: " ", startingAt: 0)
            print("\(padded) \(BenchFigures.format(rate))   \(String(format: "%.2f", rate / baseline))")
        }
        if json {
            let fields = results.map { "\(JSONString.quoted($0.0)):\(Int($0.1))" }.joined(separator: ",")
            print("{\"rows\":\(events.count),\"rounds\":\(rounds),\"rowsPerSecond\":{\(fields)}}")
        }
    }

    // MARK: - Index costs

    private func measureIndexes(_ events: [EventRow], _ connection: PostgresConnection) throws {
        let projectTime = "USING brin (project_id, \"timestamp\") WITH (pages_per_range = 32)"
        let receivedAt = "USING brin (received_at) WITH (pages_per_range = 32)"
        let candidates: [(name: String, definitions: [String])] = [
            ("no index", []),
            ("BRIN (timestamp)", ["USING brin (\"timestamp\")"]),
            ("BRIN (project_id, timestamp)", [projectTime]),
            ("BRIN (received_at)", [receivedAt]),
            ("both BRINs (the schema's)", [projectTime, receivedAt]),
            ("B-tree (project_id, timestamp)", ["(project_id, \"timestamp\")"]),
            ("B-tree (project_id, message_id)", ["(project_id, message_id)"]),
        ]
        var results: [(String, Double)] = []
        for candidate in candidates {
            let existing = try connection.query(
                "SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid = 'analytics.events'::regclass"
            )
            for row in 0..<existing.rowCount {
                try connection.execute("DROP INDEX \(existing.string(row, 0)!)")
            }
            for (number, definition) in candidate.definitions.enumerated() {
                try connection.execute("CREATE INDEX bench_candidate_\(number) ON analytics.events \(definition)")
            }
            var times: [Double] = []
            for round in 1...rounds {
                try connection.execute("TRUNCATE analytics.events")
                times.append(try BenchFigures.time { _ = try connection.copyEvents(events) })
                Terminal.note("\(candidate.name), round \(round)/\(rounds): \(BenchFigures.rate(events.count, times.last!))")
            }
            results.append((candidate.name, Double(events.count) / BenchFigures.median(times)))
        }
        let baseline = results[0].1
        print("index                              rows/s     vs no index")
        for (name, rate) in results {
            let padded = name + String(repeating: " ", count: max(0, 34 - name.count))
            print("\(padded) \(BenchFigures.format(rate))   \(String(format: "%.2f", rate / baseline))")
        }
        if json {
            let fields = results.map { "\(JSONString.quoted($0.0)):\(Int($0.1))" }.joined(separator: ",")
            print("{\"rows\":\(events.count),\"rounds\":\(rounds),\"rowsPerSecond\":{\(fields)}}")
        }
    }
}

/// A database created on the same server for one benchmark run, and dropped after it (or when the run is
/// interrupted: ``Interruption``).
struct ScratchDatabase {
    let server: String
    let name = "sluice_bench_\(getpid())"
    let connectionString: String
    private let interruption: Interruption.Token

    init(server: String) throws {
        self.server = server
        connectionString = try PostgresConnection.connectionString(server, database: name)
        let admin = try DatabaseOptions.connect(server, source: "the database URL")
        do {
            try admin.execute("CREATE DATABASE \(name)")
        } catch {
            guard error.sqlState == "42501" else { throw error }
            throw StoreError("the benchmark needs to create a scratch database, and this role may not (grant CREATEDB)")
        }
        interruption = Interruption.register { [server, name] in Self.drop(name, on: server) }
        do {
            try Migrator.bundled().migrate(try connect())
        } catch {
            drop()
            throw error
        }
    }

    func connect() throws -> PostgresConnection {
        try DatabaseOptions.connect(connectionString, source: "the scratch database")
    }

    func drop() {
        Self.drop(name, on: server)
        Interruption.done(interruption)
    }

    private static func drop(_ name: String, on server: String) {
        do {
            let admin = try PostgresConnection(server)
            try admin.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        } catch {
            Terminal.note("could not drop the scratch database \(name): \(error)")
        }
    }
}

/// The `psql` client, for the text-format side of the benchmark.
struct Psql {
    let path: String

    static func find() throws -> Psql {
        var candidates = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":").map {
            "\($0)/psql"
        }
        if let bin = try? LocalCluster.findBinDirectory() { candidates.append(bin + "/psql") }
        guard let path = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw StoreError("psql was not found; install it with 'apt-get install -y postgresql-client'")
        }
        return Psql(path: path)
    }

    /// Runs `psql -c "\copy analytics.events (…) FROM 'file'"` and waits for it.
    func copy(_ file: String, into connectionString: String) throws {
        let columns = EventRow.columns.map { "\"\($0)\"" }.joined(separator: ", ")
        let child = try ChildProcess.run([
            path, "--no-psqlrc", "--quiet", "--set", "ON_ERROR_STOP=1", "-d", connectionString,
            "-c", "\\copy analytics.events (\(columns)) FROM '\(file)'",
        ])
        guard child.status == 0 else {
            throw StoreError("psql \\copy failed: \(child.output.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
    }
}
