import SluiceCore

/// One unit of work of the rollups job, done in one transaction: the marked hours of one project's UTC day
/// recomputed from events and sessions, then that day's daily rows from its hourly rows.
public struct RollupUnit: Sendable, Equatable {
    public let projectID: Int64
    public let day: CalendarDay
    /// The hours to recompute, sorted, distinct, all of `day`.
    public let hours: [UTCHour]
    /// The marks this unit answers for.
    public let markIDs: [Int64]

    public init(projectID: Int64, day: CalendarDay, hours: [UTCHour], markIDs: [Int64]) {
        precondition(!hours.isEmpty && hours.allSatisfy { $0.day == day }, "a rollup unit's hours lie in its day")
        self.projectID = projectID
        self.day = day
        self.hours = hours
        self.markIDs = markIDs
    }

    /// The instants `[from, to)` of the hours to recompute, from the first one's start to the last one's end:
    /// what bounds the scans of events and sessions.
    public var span: (from: Timestamp, to: Timestamp) {
        (hours.first!.start, hours.last!.adding(hours: 1).start)
    }

    /// The instants `[from, to)` of the whole day, which the daily rows are unioned over.
    public var dayRange: (from: Timestamp, to: Timestamp) { (day.start, day.adding(days: 1).start) }
}
