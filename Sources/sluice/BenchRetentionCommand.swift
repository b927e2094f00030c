import ArgumentParser
import Foundation
import SluiceCore
import SluicePostgres
import SluiceRetention
import SluiceRetentionJob
import SluiceStore
import SluiceWorkload

/// `sluice bench retention`: archive one day of N realistic rows with the retention job's own code, then
/// restore it; rates and the compression ratio.
///
/// Runs in a scratch database created on the server for the run (dropped after it) and a temporary archive
/// directory (removed after it), so neither the user's data nor their archive is touched.
struct BenchRetention: FailingCommand {
    static let configuration = CommandConfiguration(
        commandName: "retention",
        abstract: "Archive a day of N realistic rows as the retention job does, restore it; print the rates.",
        discussion: """
            The archive time runs from the detach to the drop: COPY TO through zstd into the file, fsync, \
            rename, the manifest line, reading the file back to count its rows, the drop. The restore time \
            runs from the first byte read to the commit: checking the file whole (sha256, zstd, rows), then \
            loading it with binary COPY and attaching the partition. MB/s counts the uncompressed COPY bytes; \
            the ratio is COPY bytes / archive bytes. --json prints one line last: {"rows":…,\
            "archiveRowsPerSecond":…,"archiveMBPerSecond":…,"restoreRowsPerSecond":…,"restoreMBPerSecond":…,\
            "copyBytes":…,"archiveBytes":…,"compressionRatio":…,"level":…}.

            Example:
              sluice bench retention --rows 1000000 --json
            """
    )

    @Option(help: "Rows in the archived day.") var rows = 1_000_000
    @Option(help: "The zstd level of the archive.") var level = 3
    @Flag(help: "Print one JSON line last.") var json = false
    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        guard rows > 0 else { throw ValidationError("--rows must be at least 1") }
        guard (1...19).contains(level) else { throw ValidationError("--level must be between 1 and 19") }
    }

    func execute() throws {
        try database.withServer { connectionString, _ in
            let scratch = try ScratchDatabase(server: connectionString)
            defer { scratch.drop() }
            let archiveRoot = NSTemporaryDirectory() + "sluice-bench-retention-\(getpid())"
            defer { try? FileManager.default.removeItem(atPath: archiveRoot) }
            let connection = try scratch.connect()
            let today = CalendarDay.today()
            let day = today.adding(days: -100)
            try connection.execute(
                """
                CREATE TABLE analytics.events_p\(day.compact) PARTITION OF analytics.events
                FOR VALUES FROM ('\(day) 00:00:00+00') TO ('\(day.adding(days: 1)) 00:00:00+00')
                """
            )
            Terminal.note("generating and loading \(rows) realistic event rows for \(day)")
            var generator = SyntheticEvents(projectID: 1, seed: 20_261_123, days: 1, now: day.adding(days: 1).start)
            var loaded = 0
            while loaded < rows {
                let batch = generator.rows(min(100_000, rows - loaded)).filter { CalendarDay($0.timestamp) == day }
                loaded += try connection.copyEvents(batch)
            }
            try connection.execute("VACUUM ANALYZE analytics.events")

            let directory = ArchiveDirectory(path: archiveRoot)
            var archiver = PartitionArchiver(policy: RetentionPolicy(days: 90), directory: directory)
            archiver.level = level
            var result: PartitionArchiver.Report?
            let archiveSeconds = try BenchFigures.time { result = try archiver.run(connection, today: today) }
            guard let report = result else { return }
            guard report.dropped == [day], report.rows == loaded else {
                throw StoreError("bench retention archived \(report.rows) rows of \(loaded); the result is void")
            }
            Terminal.note("archived \(report.rows) rows in \(String(format: "%.2f", archiveSeconds)) s")

            var restoredRows = 0
            let restoreSeconds = try BenchFigures.time {
                restoredRows = try ArchiveRestorer(directory: directory).restore(day.description, on: connection).rows
            }
            let count = try connection.query("SELECT count(*) FROM analytics.events").int(0, 0) ?? 0
            guard count == loaded, restoredRows == loaded else {
                throw StoreError("bench retention restored \(count) rows of \(loaded); the result is void")
            }

            let copyMB = Double(report.copyBytes) / 1e6
            let ratio = Double(report.copyBytes) / Double(max(1, report.archivedBytes))
            let archiveRate = Double(loaded) / archiveSeconds
            let restoreRate = Double(loaded) / restoreSeconds
            print(
                "rows        \(loaded) in one day (COPY \(BenchFigures.megabytes(report.copyBytes)) MB, "
                    + "archive \(BenchFigures.megabytes(report.archivedBytes)) MB, zstd level \(level))")
            print(
                "archive     \(BenchFigures.format(archiveRate)) rows/s  "
                    + "\(BenchFigures.format(copyMB / archiveSeconds)) MB/s (detach … verify … drop)")
            print(
                "restore     \(BenchFigures.format(restoreRate)) rows/s  "
                    + "\(BenchFigures.format(copyMB / restoreSeconds)) MB/s (check … COPY … attach)")
            print("compression \(String(format: "%.2f", ratio)) : 1")
            if json {
                print(
                    "{\"rows\":\(loaded),\"archiveRowsPerSecond\":\(Int(archiveRate)),"
                        + "\"archiveMBPerSecond\":\(String(format: "%.1f", copyMB / archiveSeconds)),"
                        + "\"restoreRowsPerSecond\":\(Int(restoreRate)),"
                        + "\"restoreMBPerSecond\":\(String(format: "%.1f", copyMB / restoreSeconds)),"
                        + "\"copyBytes\":\(report.copyBytes),\"archiveBytes\":\(report.archivedBytes),"
                        + "\"compressionRatio\":\(String(format: "%.2f", ratio)),\"level\":\(level)}"
                )
            }
        }
    }
}
