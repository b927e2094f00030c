import SluiceCore

/// Where the archive of one day of one table lies, relative to the archive directory.
///
/// `analytics.events/2026-08-31.copy.zst`: a directory per table, a file per UTC day, holding the day's
/// rows as one PostgreSQL binary `COPY` stream compressed with zstd. While it is written it is called
/// ``temporaryFileName`` (`.2026-08-31.copy.zst.partial`), and renamed once complete and fsync'd, so a file
/// with the final name is always whole.
public struct ArchiveName: Sendable, Hashable, CustomStringConvertible {
    /// The table, schema-qualified: `analytics.events`.
    public let table: String
    public let day: CalendarDay

    /// The only table archived so far.
    public static let eventsTable = "analytics.events"
    /// The manifest's file name, at the top of the archive directory.
    public static let manifestFileName = "manifest.jsonl"
    static let suffix = ".copy.zst"

    public init(table: String = ArchiveName.eventsTable, day: CalendarDay) {
        self.table = table
        self.day = day
    }

    /// `2026-08-31.copy.zst`.
    public var fileName: String { "\(day)\(Self.suffix)" }
    /// `.2026-08-31.copy.zst.partial`: hidden, and never mistaken for an archive.
    public var temporaryFileName: String { ".\(fileName).partial" }
    /// `analytics.events/2026-08-31.copy.zst`.
    public var relativePath: String { "\(table)/\(fileName)" }
    public var description: String { relativePath }

    /// The archive a file name (`2026-08-31.copy.zst`, or a path ending in `analytics.events/…`) stands for;
    /// nil for any other name.
    public init?(path: String) {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        guard let last = parts.last, last.hasSuffix(Self.suffix) else { return nil }
        guard let day = CalendarDay(last.dropLast(Self.suffix.count)) else { return nil }
        let table = parts.count >= 2 ? String(parts[parts.count - 2]) : Self.eventsTable
        self.init(table: table, day: day)
    }

    /// The partition of `analytics.events` holding `day`: `events_pYYYYMMDD` (schema `analytics`).
    public var partitionName: String { "events_p\(day.compact)" }

    /// The day of a table named `events_pYYYYMMDD`, or nil for any other name.
    public static func day(ofPartition name: String) -> CalendarDay? {
        guard name.hasPrefix("events_p") else { return nil }
        let digits = name.dropFirst("events_p".count)
        guard digits.count == 8, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let number = Int(digits) else {
            return nil
        }
        return CalendarDay(year: number / 10_000, month: number / 100 % 100, day: number % 100)
    }
}
