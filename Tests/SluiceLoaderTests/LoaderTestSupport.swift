import Foundation
import Logging
import SluiceCore
import SluiceHangGuard
import SluiceLoader
import SluicePostgres
import SluiceSpool
import SluiceTestSupport
import Synchronization
import Testing

/// A migrated throwaway database and an empty spool directory, as one server node has them.
final class LoaderFixture {
    let database: PostgresConnection
    let spoolDirectory: String
    let nodeID: String

    init(_ label: String, nodeID: String = "node-a") throws {
        database = try TestDatabase.migrated(label)
        try database.execute("SET TIME ZONE 'UTC'")
        spoolDirectory =
            FileManager.default.temporaryDirectory
            .appendingPathComponent("sluice-loader-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: spoolDirectory, withIntermediateDirectories: true)
        self.nodeID = nodeID
    }

    deinit {
        try? FileManager.default.removeItem(atPath: spoolDirectory)
    }

    var connectionString: String { database.connectionString }

    /// The database's name, from its connection string.
    var databaseName: String {
        let part = connectionString.split(separator: " ").first { $0.hasPrefix("dbname=") }!
        return String(part.dropFirst("dbname=".count))
    }

    /// The loader's settings; `retryDelays` is the backoff between failed attempts (short, so tests see retries).
    func configuration(
        maxBatchRows: Int = 50_000, connectionString: String? = nil,
        retryDelays: ClosedRange<Duration> = .milliseconds(20) ... .milliseconds(300)
    ) -> LoaderConfiguration {
        LoaderConfiguration(
            connectionString: connectionString ?? self.connectionString, spoolDirectory: spoolDirectory,
            nodeID: nodeID, maxBatchRows: maxBatchRows, retryDelays: retryDelays,
            idleDelay: .milliseconds(50), healthCheckInterval: .milliseconds(100)
        )
    }

    /// A loader over this fixture; with `log`, everything it logs (debug included) is recorded there too.
    func loader(
        maxBatchRows: Int = 50_000, connectionString: String? = nil,
        retryDelays: ClosedRange<Duration> = .milliseconds(20) ... .milliseconds(300), log: LogRecorder? = nil
    ) -> SpoolLoader {
        var logger = Logger(label: "test.loader")
        if let log {
            logger = Logger(label: "test.loader") { _ in log.handler() }
        }
        return SpoolLoader(
            configuration: configuration(
                maxBatchRows: maxBatchRows, connectionString: connectionString, retryDelays: retryDelays
            ),
            logger: logger
        )
    }

    /// A writer as the server opens it; `segmentBytes: 1` puts every record in a segment of its own.
    func writer(segmentBytes: Int = 64 << 20) throws -> SpoolWriter {
        try SpoolWriter(directory: spoolDirectory, segmentBytes: segmentBytes)
    }

    /// The segment numbers present in the spool directory.
    func segments() throws -> [UInt64] {
        try SpoolSegment.segments(in: spoolDirectory).map(\.number)
    }

    func count(_ sql: String = "SELECT count(*) FROM analytics.events") throws -> Int {
        try database.query(sql).int(0, 0) ?? -1
    }

    /// The checkpoint row of this node: position and rows_loaded.
    func checkpoint() throws -> (position: SpoolPosition, rows: Int)? {
        let result = try database.query(
            #"SELECT segment, "offset", rows_loaded FROM sluice.spool_checkpoints WHERE node_id = $1"#, [nodeID]
        )
        guard result.rowCount == 1 else { return nil }
        return (
            SpoolPosition(segment: UInt64(try result.int(0, 0)!), offset: UInt64(try result.int(0, 1)!)),
            try result.int(0, 2)!
        )
    }

    /// Message ids that appear more than once in `analytics.events`.
    func duplicates() throws -> Int {
        try count("SELECT count(*) FROM (SELECT 1 FROM analytics.events GROUP BY message_id HAVING count(*) > 1) d")
    }
}

/// Builds spool payloads the way the server does: `CopyEncoder.append(_ row:)` per row, no header or trailer.
enum Payload {
    /// `count` valid track events numbered from `first`, on `day` (today by default).
    static func rows(_ first: Int, _ count: Int, day: CalendarDay = .today(), projectID: Int64 = 1) -> [EventRow] {
        (first..<first + count).map { index in
            EventRow(
                projectID: projectID, messageID: "m-\(index)", type: .track, event: "Event \(index % 7)",
                anonymousID: "anon-\(index % 13)",
                timestamp: Timestamp(unixMicroseconds: day.start.unixMicroseconds + Int64(index % 86_400) * 1_000_000),
                receivedAt: Timestamp.now(), properties: #"{"n": \#(index)}"#
            )
        }
    }

    static func bytes(_ rows: [EventRow]) -> [UInt8] {
        var encoder = CopyEncoder()
        for row in rows { encoder.append(row) }
        return encoder.bytes
    }

    /// One tuple of `row` with field `index` replaced by `value` (raw bytes, nil for NULL): for rows the
    /// encoder cannot produce, such as an unknown `type` or a value of the wrong length.
    static func tuple(_ row: EventRow, replacingField index: Int, with value: [UInt8]?) throws -> [UInt8] {
        let bytes = Self.bytes([row])
        var walker = CopyTuples(bytes)
        let tuple = try #require(try walker.next())
        var output: [UInt8] = Array(bytes[0..<2])
        for field in 0..<tuple.fieldCount {
            let original: [UInt8]? = try tuple.field(field).map { Array($0) }
            let chosen = field == index ? value : original
            if let chosen {
                withUnsafeBytes(of: Int32(chosen.count).bigEndian) { output.append(contentsOf: $0) }
                output.append(contentsOf: chosen)
            } else {
                output.append(contentsOf: [0xFF, 0xFF, 0xFF, 0xFF])
            }
        }
        return output
    }
}

/// Runs a loader's `run()` on a thread of its own, as the server does.
final class RunningLoader: @unchecked Sendable {
    let loader: SpoolLoader
    private let finished = DispatchSemaphore(value: 0)

    init(_ loader: SpoolLoader) {
        self.loader = loader
        let thread = Thread { [loader, finished] in
            loader.run()
            finished.signal()
        }
        thread.start()
    }

    /// Asks the loop to stop (after draining the spool when `drain`) and waits for `run()` to return.
    ///
    /// - Throws: ``Hung`` if `run()` has not returned within ``HangGuard/limit``.
    func stop(drain: Bool = false) throws {
        loader.stop(drainUntil: drain ? ContinuousClock.now + HangGuard.limit : nil)
        try HangGuard.bounded("the loader's run() to return after stop") { _ in
            finished.wait(timeout: .now() + HangGuard.limitInSeconds) == .success
        }
    }
}

/// Everything a logger wrote, for tests that wait on a log line.
final class LogRecorder: Sendable {
    private let lines = Mutex<[String]>([])

    /// How many messages so far contain `text`.
    func count(containing text: String) -> Int {
        lines.withLock { $0.filter { $0.contains(text) }.count }
    }

    /// A handler that records every message, debug included.
    func handler() -> any LogHandler { Handler(recorder: self) }

    fileprivate func record(_ line: String) {
        lines.withLock { $0.append(line) }
    }

    private struct Handler: LogHandler {
        let recorder: LogRecorder
        var logLevel: Logger.Level = .debug
        var metadata: Logger.Metadata = [:]

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            recorder.record("\(event.level) \(event.message)")
        }
    }
}
