import SluiceCore

/// One unit of work of the sessions job, done in one transaction: the visits of one project around a range
/// of hours whose events changed are derived again.
///
/// The job deletes the visits of the step's persons (``receivedFrom``) that overlap ``overlapWindow(_:)`` (an
/// event within the rule's gap of the range may have joined or split them), derives the visits again from the counted events of each
/// affected person between the earliest start and the latest end of that person's deleted visits (or the
/// range itself), and marks for the rollups the start hours of the deleted and the new visits and the
/// range's own hours (their event-time measures changed).
public struct SessionStep: Sendable, Equatable {
    public let projectID: Int64
    /// The hours whose events changed; at most one UTC day.
    public let hours: HourRange
    /// The marks this step answers for: every mark of `projectID` in `hours` that the plan was made from.
    public let markIDs: [Int64]
    /// Which persons the step derives again: with a bound, only those with a counted event in ``hours``
    /// received at or after it (the rows the marking loads committed, and perhaps a few others); nil, every
    /// person with a counted event in ``hours`` or a visit overlapping ``overlapWindow(_:)``. A person's
    /// visits depend on that person's events alone, so the visits of the persons left out cannot change.
    public let receivedFrom: Timestamp?

    public init(projectID: Int64, hours: HourRange, markIDs: [Int64], receivedFrom: Timestamp? = nil) {
        self.projectID = projectID
        self.hours = hours
        self.markIDs = markIDs
        self.receivedFrom = receivedFrom
    }

    /// The instants `[from, through]` that a visit must overlap to be affected by events in ``hours``: the
    /// range widened by the rule's gap on both sides, both ends included (an event exactly one gap after a
    /// visit's last event still joins it).
    public func overlapWindow(_ rule: VisitRule) -> (from: Timestamp, through: Timestamp) {
        (
            Timestamp(unixMicroseconds: hours.start.unixMicroseconds - rule.maximumGapMicroseconds),
            Timestamp(unixMicroseconds: hours.end.unixMicroseconds + rule.maximumGapMicroseconds)
        )
    }

    /// The earliest start a visit overlapping ``overlapWindow(_:)`` can have unless it is a long visit
    /// (``VisitRule/longVisitMicroseconds`` or longer), which are looked up apart.
    public func earliestShortVisitStart(_ rule: VisitRule) -> Timestamp {
        Timestamp(unixMicroseconds: overlapWindow(rule).from.unixMicroseconds - VisitRule.longVisitMicroseconds)
    }
}
