import Foundation
import SluiceCore

/// One line of `manifest.jsonl`: an archive that was written, fsync'd and renamed into place.
///
/// `{"table":"analytics.events","day":"2026-08-31","rows":48211,"bytes":3020391,"sha256":"9f86d0…"}`, in that
/// key order. `rows` is the number of tuples the file holds, `bytes` and `sha256` the size and hash of the
/// compressed file as it lies on disk. The manifest only grows: a day archived again (after a restore) gets
/// a new line, and the last line of a day is the one that describes its file (``latest(_:)``).
public struct ManifestEntry: Sendable, Hashable, Codable {
    public let table: String
    /// `YYYY-MM-DD`.
    public let day: String
    public let rows: Int
    public let bytes: Int
    /// Lower-case hex, 64 digits.
    public let sha256: String

    public init(table: String, day: CalendarDay, rows: Int, bytes: Int, sha256: String) {
        self.table = table
        self.day = day.description
        self.rows = rows
        self.bytes = bytes
        self.sha256 = sha256
    }

    /// The archive this line describes; nil when `day` is not a date.
    public var name: ArchiveName? { CalendarDay(day).map { ArchiveName(table: table, day: $0) } }

    /// The line, without its newline, keys in the documented order.
    public var line: String {
        "{\"table\":\(JSONString.quoted(table)),\"day\":\(JSONString.quoted(day)),\"rows\":\(rows),"
            + "\"bytes\":\(bytes),\"sha256\":\(JSONString.quoted(sha256))}"
    }

    /// A manifest line that cannot be read.
    public struct ParseError: Error, CustomStringConvertible, Sendable, Equatable {
        /// The line's number, from 1.
        public let line: Int
        public let reason: String
        public var description: String { "manifest.jsonl line \(line): \(reason)" }
    }

    /// Parses every non-empty line of a manifest.
    ///
    /// A last line without its newline that does not parse is left out: it is an append a crash cut short,
    /// and the archive it would describe is written again by the next run.
    ///
    /// - Throws: ``ParseError`` for any other line that is not an entry.
    public static func parse(_ text: String) throws(ParseError) -> [ManifestEntry] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        var entries: [ManifestEntry] = []
        let decoder = JSONDecoder()
        for (index, line) in lines.enumerated() where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            let isUnfinishedLast = index == lines.count - 1
            do {
                let entry = try decoder.decode(ManifestEntry.self, from: Data(line.utf8))
                guard CalendarDay(entry.day) != nil, entry.rows >= 0, entry.bytes >= 0,
                    entry.sha256.count == 64, entry.sha256.allSatisfy(\.isHexDigit)
                else {
                    throw ParseError(line: index + 1, reason: "not a valid archive entry")
                }
                entries.append(entry)
            } catch {
                if isUnfinishedLast { break }
                if let error = error as? ParseError { throw error }
                throw ParseError(line: index + 1, reason: "not a JSON object with table, day, rows, bytes, sha256")
            }
        }
        return entries
    }

    /// The last entry of each (table, day), ordered by table then day.
    public static func latest(_ entries: [ManifestEntry]) -> [ManifestEntry] {
        var last: [String: ManifestEntry] = [:]
        for entry in entries { last["\(entry.table)/\(entry.day)"] = entry }
        return last.values.sorted { ($0.table, $0.day) < ($1.table, $1.day) }
    }
}
