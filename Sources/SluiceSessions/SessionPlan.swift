import SluiceCore

/// The steps that answer a set of event marks: per project, the marked hours merged into ranges, and the
/// ranges cut into steps of at most a UTC day, so that a first build of months is many short transactions.
///
/// Steps come ordered by project, then time. Every mark id lands in exactly one step. The order does not
/// matter for the result: each step derives its persons' visits from all their events in its window, so
/// later steps repair whatever an earlier one could not yet see (see docs/architecture.md).
public struct SessionPlan: Sendable, Equatable {
    public let steps: [SessionStep]

    public init(marks: some Sequence<HourMark>) {
        var byProject: [Int64: [HourMark]] = [:]
        for mark in marks { byProject[mark.projectID, default: []].append(mark) }
        var steps: [SessionStep] = []
        for projectID in byProject.keys.sorted() {
            let marks = byProject[projectID]!
            var idsByHour: [UTCHour: [Int64]] = [:]
            for mark in marks { idsByHour[mark.hour, default: []].append(mark.id) }
            for range in HourRange.merging(idsByHour.keys) {
                for piece in range.days {
                    let ids = piece.hours.flatMap { idsByHour[$0] ?? [] }.sorted()
                    steps.append(SessionStep(projectID: projectID, hours: piece, markIDs: ids))
                }
            }
        }
        self.steps = steps
    }

    /// The marks the plan answers for.
    public var markCount: Int { steps.reduce(0) { $0 + $1.markIDs.count } }
}
