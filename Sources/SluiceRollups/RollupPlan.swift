import SluiceCore

/// The units that answer a set of rollup marks: one per project and UTC day that has a marked hour, ordered
/// by project, then day. Every mark id lands in exactly one unit.
public struct RollupPlan: Sendable, Equatable {
    public let units: [RollupUnit]

    private struct Key: Hashable {
        let projectID: Int64
        let day: CalendarDay
    }

    public init(marks: some Sequence<HourMark>) {
        var hours: [Key: Set<UTCHour>] = [:]
        var ids: [Key: [Int64]] = [:]
        for mark in marks {
            let key = Key(projectID: mark.projectID, day: mark.hour.day)
            hours[key, default: []].insert(mark.hour)
            ids[key, default: []].append(mark.id)
        }
        units = hours.keys.sorted { ($0.projectID, $0.day.unixDay) < ($1.projectID, $1.day.unixDay) }.map { key in
            RollupUnit(projectID: key.projectID, day: key.day, hours: hours[key]!.sorted(), markIDs: ids[key]!.sorted())
        }
    }

    /// The hourly buckets the plan recomputes.
    public var hourCount: Int { units.reduce(0) { $0 + $1.hours.count } }
}
