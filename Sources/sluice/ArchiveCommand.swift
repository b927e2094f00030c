import ArgumentParser
import Foundation
import SluiceCore
import SluiceRetention
import SluiceRetentionJob

struct Archive: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The retention archive in SLUICE_ARCHIVE_DIR: what is there; load a day back.",
        discussion: """
            Examples:
              sluice archive list
              sluice archive restore 2026-09-01
            """,
        subcommands: [List.self, Restore.self]
    )

    /// `SLUICE_ARCHIVE_DIR`, or a usage error.
    static func directory(_ option: String?) throws -> ArchiveDirectory {
        let path = option ?? ProcessInfo.processInfo.environment["SLUICE_ARCHIVE_DIR"] ?? ""
        guard !path.isEmpty else {
            throw ValidationError("set SLUICE_ARCHIVE_DIR (or --archive-dir) to the retention archive directory")
        }
        return ArchiveDirectory(path: path)
    }

    struct List: FailingCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the archived days: table, day, rows, bytes, sha256, and whether the file is there.",
            discussion: """
                Reads manifest.jsonl (the last line of each day), without opening the archives; \
                sluice archive restore checks a file whole before it loads it. --json prints the manifest's \
                lines as they are, one per day.

                Example:
                  sluice archive list --json
                """
        )

        @Option(help: ArgumentHelp("The archive directory (default: SLUICE_ARCHIVE_DIR).", valueName: "dir"))
        var archiveDir: String?
        @Flag(help: "Print one JSON object per archived day and line.") var json = false

        func execute() throws {
            let directory = try Archive.directory(archiveDir)
            let entries = ManifestEntry.latest(try directory.manifest())
            if json {
                entries.forEach { print($0.line) }
                return
            }
            guard !entries.isEmpty else {
                print("no archives in \(directory.path)")
                return
            }
            print("table\tday\trows\tbytes\tsha256\tfile")
            for entry in entries {
                let file = entry.name.map { directory.filePath($0) } ?? "?"
                let state = FileManager.default.fileExists(atPath: file) ? "present" : "missing"
                print("\(entry.table)\t\(entry.day)\t\(entry.rows)\t\(entry.bytes)\t\(entry.sha256)\t\(state)")
            }
        }
    }

    struct Restore: FailingCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load an archived day back into analytics.events, checked first, erasures applied again.",
            discussion: """
                DAY (YYYY-MM-DD) restores the day's archive in SLUICE_ARCHIVE_DIR; FILE restores that file, \
                checked against the manifest line of its day. Before anything changes, the file's size and \
                sha256 must match the manifest and the whole file must decompress to its rows; otherwise the \
                restore refuses and changes nothing. The rows are loaded with binary COPY into a new \
                partition, every row of an id recorded in sluice.erasures (sluice forget) is deleted again, \
                and the partition is attached, all in one transaction. Then the day's visits \
                (analytics.sessions, which follow the events' horizon and went with the partition) are derived \
                again by the sessions job's code, and the rollup buckets they touch are recomputed by the \
                rollups job's code, so the day's numbers equal a recomputation from its rows as restored, \
                erased people left out. Progress goes to stderr. The day stays until the next retention run \
                archives and drops it again (its visits with it); raise SLUICE_RETENTION_DAYS to keep it.

                Examples (SLUICE_ARCHIVE_DIR set as for the retention job):
                  $ sluice archive restore 2026-08-31
                  restored 2026-08-31: 1204311 row(s) into analytics.events_p20260831 (1204388 archived, 77 \
                erased since); 301277 visit(s) derived, 24 rollup bucket(s) recomputed
                  $ sluice archive restore /mnt/backup/archive/analytics.events/2026-08-31.copy.zst
                """
        )

        @Argument(help: ArgumentHelp("A day (YYYY-MM-DD) or an archive file.", valueName: "day-or-file"))
        var target: String
        @Option(help: ArgumentHelp("The archive directory (default: SLUICE_ARCHIVE_DIR).", valueName: "dir"))
        var archiveDir: String?
        @OptionGroup var database: DatabaseOptions

        func validate() throws {
            guard CalendarDay(target) != nil || ArchiveName(path: target) != nil else {
                throw ValidationError(
                    "'\(target)' is neither a day (YYYY-MM-DD) nor an archive file (YYYY-MM-DD.copy.zst)")
            }
        }

        func execute() throws {
            var directory = try Archive.directory(archiveDir)
            if CalendarDay(target) == nil, archiveDir == nil,
                ProcessInfo.processInfo.environment["SLUICE_ARCHIVE_DIR"]?.isEmpty ?? true
            {
                // A file given alone: its manifest is the one of the archive directory it lies in.
                directory = ArchiveDirectory(
                    path: URL(fileURLWithPath: target).deletingLastPathComponent()
                        .deletingLastPathComponent().path)
            }
            let restorer = ArchiveRestorer(directory: directory)
            var bar = ProgressLine()
            let report = try database.withConnection { connection in
                try restorer.restore(target, on: connection) { phase, read, total in
                    bar.show(phase, read, total)
                }
            }
            bar.end()
            print(
                "restored \(report.day): \(report.rows) row(s) into analytics.events_p\(report.day.compact) "
                    + "(\(report.archivedRows) archived, \(report.erasedRows) erased since); "
                    + "\(report.visitsDerived) visit(s) derived, \(report.bucketsRecomputed) rollup bucket(s) recomputed"
            )
        }
    }
}

/// A progress line on stderr, redrawn every 5 % of the bytes, for long restores.
struct ProgressLine {
    private var shown: [String: Int] = [:]
    private var drew = false

    mutating func show(_ phase: String, _ read: Int, _ total: Int) {
        let percent = total > 0 ? min(100, read * 100 / total) : 100
        guard percent >= (shown[phase] ?? -5) + 5 || (percent == 100 && shown[phase] != 100) else { return }
        shown[phase] = percent
        let filled = percent / 5
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: 20 - filled)
        let line = "\r\(phase) [\(bar)] \(percent)% of \(total / 1_048_576) MiB"
        FileHandle.standardError.write(Data(line.utf8))
        drew = true
    }

    func end() {
        if drew { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
