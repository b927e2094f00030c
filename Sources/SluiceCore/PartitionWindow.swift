/// The UTC days that get their own partition of `analytics.events`: from today − ``daysBack`` to
/// today + ``premakeDays``, both included.
///
/// The one definition of that window. The partitions job creates its days ahead, the loader creates a missing
/// day of it on demand, the ingest decoder replaces an event time before its first day by the receive time,
/// and the dedupe rebuild scans every partition it spans; all of them ask this type, so they cannot disagree
/// about which days exist. Pure: `today` is always the caller's, so tests can choose it.
///
/// The window knows the retention horizon too (``retentionDays``): the retention job drops the partitions of
/// days before today − `SLUICE_RETENTION_DAYS`, so the window never reaches further back than that, whatever
/// `SLUICE_BACKFILL_DAYS` says. A dropped day is then never made again by the partitions job or the loader,
/// and the decoder replaces an event time on a dropped day by the receive time.
///
/// Two windows are equal when they cover the same days (``daysBack`` and ``premakeDays``).
public struct PartitionWindow: Sendable, Hashable, CustomStringConvertible {
    /// Days before today still accepted into their own day's partition (`SLUICE_BACKFILL_DAYS`), unless the
    /// retention horizon is nearer (see ``daysBack``).
    public let backfillDays: Int
    /// Days after today whose partitions exist before their first event (`SLUICE_PREMAKE_DAYS`).
    public let premakeDays: Int
    /// Days before today whose partitions the retention job keeps (`SLUICE_RETENTION_DAYS`); nil when the
    /// window is not bounded by retention.
    public let retentionDays: Int?

    /// Days before today the window reaches: ``backfillDays``, or ``retentionDays`` when that is fewer.
    public var daysBack: Int { min(backfillDays, retentionDays ?? backfillDays) }

    /// The largest value either setting takes: ten years of daily partitions.
    public static let maximumDays = 3650

    /// The default window: 90 days back, 7 ahead, the default retention of 90 days.
    public static let standard = PartitionWindow(backfillDays: 90, premakeDays: 7, retentionDays: defaultRetentionDays)

    /// `SLUICE_RETENTION_DAYS` when it is not set.
    public static let defaultRetentionDays = 90

    /// A window of `backfillDays` back (at most `retentionDays` when given) and `premakeDays` ahead, each
    /// clamped to 0...``maximumDays``.
    public init(backfillDays: Int, premakeDays: Int, retentionDays: Int? = nil) {
        self.backfillDays = min(max(0, backfillDays), Self.maximumDays)
        self.premakeDays = min(max(0, premakeDays), Self.maximumDays)
        self.retentionDays = retentionDays.map { min(max(0, $0), Self.maximumDays) }
    }

    public static func == (lhs: PartitionWindow, rhs: PartitionWindow) -> Bool {
        lhs.daysBack == rhs.daysBack && lhs.premakeDays == rhs.premakeDays
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(daysBack)
        hasher.combine(premakeDays)
    }

    /// The first and last day of the window around `today`.
    public func days(today: CalendarDay) -> ClosedRange<CalendarDay> {
        today.adding(days: -daysBack)...today.adding(days: premakeDays)
    }

    /// Every day of the window around `today`, oldest first.
    public func dayList(today: CalendarDay) -> [CalendarDay] {
        (-daysBack...premakeDays).map { today.adding(days: $0) }
    }

    /// Whether `day` is in the window around `today`.
    public func contains(_ day: CalendarDay, today: CalendarDay) -> Bool {
        days(today: today).contains(day)
    }

    /// The earliest event time accepted as is when `today` is the current UTC day: midnight UTC at the start
    /// of the window's first day. Earlier times would land in the default partition, and far earlier ones
    /// outside what PostgreSQL's `timestamptz` can hold.
    public func earliestAccepted(today: CalendarDay) -> Timestamp {
        today.adding(days: -daysBack).start
    }

    /// ``earliestAccepted(today:)`` for the UTC day of `instant`.
    public func earliestAccepted(at instant: Timestamp) -> Timestamp {
        earliestAccepted(today: CalendarDay(instant))
    }

    /// `-90…+7 days`.
    public var description: String { "-\(daysBack)…+\(premakeDays) days" }

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

    /// Reads `SLUICE_BACKFILL_DAYS` (default 90), `SLUICE_PREMAKE_DAYS` (default 7) and
    /// `SLUICE_RETENTION_DAYS` (default 90).
    ///
    /// - Throws: ``SettingError`` when any is set to anything but a whole number in 0...``maximumDays``.
    public static func fromEnvironment(_ environment: [String: String]) throws(SettingError) -> PartitionWindow {
        PartitionWindow(
            backfillDays: try daysSetting(environment, "SLUICE_BACKFILL_DAYS", default: standard.backfillDays),
            premakeDays: try daysSetting(environment, "SLUICE_PREMAKE_DAYS", default: standard.premakeDays),
            retentionDays: try retentionDays(environment)
        )
    }

    /// `SLUICE_RETENTION_DAYS` (default ``defaultRetentionDays``): the one reading of it, shared by the window
    /// and the retention job so the two cannot disagree.
    ///
    /// - Throws: ``SettingError`` when it is set to anything but a whole number in 0...``maximumDays``.
    public static func retentionDays(_ environment: [String: String]) throws(SettingError) -> Int {
        try daysSetting(environment, "SLUICE_RETENTION_DAYS", default: defaultRetentionDays)
    }

    /// The whole number of days in 0...``maximumDays`` that variable `name` holds, `value` when unset or empty.
    /// - Throws: ``SettingError`` for anything else.
    public static func daysSetting(
        _ environment: [String: String], _ name: String, default value: Int
    ) throws(SettingError) -> Int {
        guard let text = environment[name], !text.isEmpty else { return value }
        guard let days = Int(text), (0...maximumDays).contains(days) else {
            throw SettingError(code: .invalidDays, variable: name, value: text)
        }
        return days
    }
}
