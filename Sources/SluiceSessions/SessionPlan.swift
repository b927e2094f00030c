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
            var byHour: [UTCHour: [HourMark]] = [:]
            for mark in marks { byHour[mark.hour, default: []].append(mark) }
            for range in HourRange.merging(byHour.keys) {
                for piece in range.days {
                    let marks = piece.hours.flatMap { byHour[$0] ?? [] }
                    steps.append(
                        SessionStep(
                            projectID: projectID, hours: piece, markIDs: marks.map(\.id).sorted(),
                            receivedFrom: Self.receivedFrom(marks)
                        )
                    )
                }
            }
        }
        self.steps = steps
    }

    /// The bound of a step made of `marks`: the least of their bounds, so that the step takes the persons of
    /// every mark's rows; nil (every person) as soon as one mark has none.
    static func receivedFrom(_ marks: [HourMark]) -> Timestamp? {
        var least: Timestamp?
        for mark in marks {
            guard let bound = mark.receivedFrom else { return nil }
            if least.map({ bound < $0 }) ?? true { least = bound }
        }
        return least
    }

    /// The marks the plan answers for.
    public var markCount: Int { steps.reduce(0) { $0 + $1.markIDs.count } }
}
