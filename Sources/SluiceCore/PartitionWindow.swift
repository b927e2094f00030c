/// The UTC days that get their own partition of `analytics.events`: from today − ``backfillDays`` to
/// today + ``premakeDays``, both included.
///
/// The one definition of that window. The partitions job creates its days ahead, the loader creates a missing
/// day of it on demand, the ingest decoder replaces an event time before its first day by the receive time,
/// and the dedupe rebuild scans every partition it spans; all of them ask this type, so they cannot disagree
/// about which days exist. Pure: `today` is always the caller's, so tests can choose it.
public struct PartitionWindow: Sendable, Hashable, CustomStringConvertible {
    /// Days before today still accepted into their own day's partition (`SLUICE_BACKFILL_DAYS`).
    public let backfillDays: Int
    /// Days after today whose partitions exist before their first event (`SLUICE_PREMAKE_DAYS`).
    public let premakeDays: Int

    /// The largest value either setting takes: ten years of daily partitions.
    public static let maximumDays = 3650

    /// The default window: 90 days back, 7 ahead.
    public static let standard = PartitionWindow(backfillDays: 90, premakeDays: 7)

    /// A window of `backfillDays` back and `premakeDays` ahead, each clamped to 0...``maximumDays``.
    public init(backfillDays: Int, premakeDays: Int) {
        self.backfillDays = min(max(0, backfillDays), Self.maximumDays)
        self.premakeDays = min(max(0, premakeDays), Self.maximumDays)
    }

    /// The first and last day of the window around `today`.
    public func days(today: CalendarDay) -> ClosedRange<CalendarDay> {
        today.adding(days: -backfillDays)...today.adding(days: premakeDays)
    }

    /// Every day of the window around `today`, oldest first.
    public func dayList(today: CalendarDay) -> [CalendarDay] {
        (-backfillDays...premakeDays).map { today.adding(days: $0) }
    }

    /// Whether `day` is in the window around `today`.
    public func contains(_ day: CalendarDay, today: CalendarDay) -> Bool {
        days(today: today).contains(day)
    }

    /// The earliest event time accepted as is when `today` is the current UTC day: midnight UTC at the start
    /// of the window's first day. Earlier times would land in the default partition, and far earlier ones
    /// outside what PostgreSQL's `timestamptz` can hold.
    public func earliestAccepted(today: CalendarDay) -> Timestamp {
        today.adding(days: -backfillDays).start
    }

    /// ``earliestAccepted(today:)`` for the UTC day of `instant`.
    public func earliestAccepted(at instant: Timestamp) -> Timestamp {
        earliestAccepted(today: CalendarDay(instant))
    }

    /// `-90…+7 days`.
    public var description: String { "-\(backfillDays)…+\(premakeDays) days" }

    /// A setting that does not hold a number of days.
    public struct SettingError: Error, CustomStringConvertible, Sendable, Equatable {
        /// What kind of failure this is.
        public struct Code: Hashable, Sendable, CustomStringConvertible {
            private let name: String
            /// The value is not a whole number of days in 0...``PartitionWindow/maximumDays``.
            public static let invalidDays = Code(name: "invalid days")
            public var description: String { name }
        }

        public let code: Code
        /// The variable that holds the value.
        public let variable: String
        public let value: String

        public var description: String {
            "\(variable)=\(value) is not a number of days between 0 and \(PartitionWindow.maximumDays)"
        }
    }

    /// Reads `SLUICE_BACKFILL_DAYS` (default 90) and `SLUICE_PREMAKE_DAYS` (default 7).
    ///
    /// - Throws: ``SettingError`` when either is set to anything but a whole number in 0...``maximumDays``.
    public static func fromEnvironment(_ environment: [String: String]) throws(SettingError) -> PartitionWindow {
        func days(_ name: String, default value: Int) throws(SettingError) -> Int {
            guard let text = environment[name], !text.isEmpty else { return value }
            guard let days = Int(text), (0...maximumDays).contains(days) else {
                throw SettingError(code: .invalidDays, variable: name, value: text)
            }
            return days
        }
        return PartitionWindow(
            backfillDays: try days("SLUICE_BACKFILL_DAYS", default: standard.backfillDays),
            premakeDays: try days("SLUICE_PREMAKE_DAYS", default: standard.premakeDays)
        )
    }
}
