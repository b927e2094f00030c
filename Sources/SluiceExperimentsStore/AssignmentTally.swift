/// What a run of the assignments job wrote, for its summary, `rows_touched` and the metrics.
public struct AssignmentTally: Sendable, Equatable {
    /// Per experiment key: what was written for it.
    public struct Experiment: Sendable, Equatable {
        /// People newly put in a variation.
        public var assigned = 0
        /// Assigned people whose first exposure was recorded (not counting one moved earlier by a late event).
        public var exposed = 0
        /// Assigned people whose exposure named another variation, newly recorded.
        public var mismatched = 0
        /// People outside the experiment whose exposure was newly recorded.
        public var unassignedExposures = 0
        /// Rows of `experiments.assignments` and `experiments.unassigned_exposures` inserted or changed.
        public var rows = 0

        public init() {}
    }

    public var experiments: [String: Experiment] = [:]
    /// Rows of `experiments.person_traits` inserted or changed.
    public var traits = 0
    /// Experiments whose stored definition could not be read (and were skipped).
    public var unreadable = 0

    public init() {}

    public var rowsTouched: Int64 { Int64(traits + experiments.values.reduce(0) { $0 + $1.rows }) }

    public mutating func add(_ other: AssignmentTally) {
        traits += other.traits
        unreadable += other.unreadable
        for (key, counts) in other.experiments {
            var mine = experiments[key] ?? Experiment()
            mine.assigned += counts.assigned
            mine.exposed += counts.exposed
            mine.mismatched += counts.mismatched
            mine.unassignedExposures += counts.unassignedExposures
            mine.rows += counts.rows
            experiments[key] = mine
        }
    }

    /// One line: `assigned 120, exposed 80, mismatched 2, unassigned exposures 1 in 2 experiment(s); traits 5`.
    public var summary: String {
        let all = experiments.values
        var line = "assigned \(all.reduce(0) { $0 + $1.assigned }), exposed \(all.reduce(0) { $0 + $1.exposed })"
        line += ", mismatched \(all.reduce(0) { $0 + $1.mismatched })"
        line += ", unassigned exposures \(all.reduce(0) { $0 + $1.unassignedExposures })"
        line += " in \(experiments.count) experiment(s); traits \(traits)"
        if unreadable > 0 { line += "; \(unreadable) unreadable definition(s) skipped" }
        return line
    }
}
