/// One row of a mark table (`sluice.event_marks`, `sluice.rollup_marks`): the rows of `projectID` in `hour`
/// changed, so what is computed from that hour must be computed again.
///
/// Marks are append-only: the same hour may be marked many times, and a job that has done the work deletes
/// exactly the ids it read.
public struct HourMark: Sendable, Hashable {
    /// The mark's row id.
    public var id: Int64
    public var projectID: Int64
    public var hour: UTCHour
    /// For an event mark the loader wrote: the least `received_at` of the rows its transaction committed, so
    /// the persons whose visits may have changed are those with an event of the hour received since. Nil for
    /// a mark that may stand for any row of the hour (rows moved or restored) and for every rollup mark.
    public var receivedFrom: Timestamp?

    public init(id: Int64, projectID: Int64, hour: UTCHour, receivedFrom: Timestamp? = nil) {
        self.id = id
        self.projectID = projectID
        self.hour = hour
        self.receivedFrom = receivedFrom
    }
}
