/// What the results endpoint and `sluice experiments results` report: the ``ExperimentResults`` of an
/// experiment version's exposed users, and beside them what the results leave out — people assigned but never
/// exposed, exposures that named another variation than the person's, and exposures of people outside the
/// experiment — with the warnings a person must see first.
public struct ExperimentReport: Sendable, Equatable {
    /// One variation's counts, as the database has them.
    public struct VariationCounts: Sendable, Equatable {
        /// People assigned to the variation, exposed or not.
        public let assigned: Int
        /// Assigned people whose every exposure named this variation: the results' users.
        public let exposed: Int
        /// Of ``exposed``, those who did the goal event at or after their first exposure.
        public let converters: Int
        /// Assigned people with an exposure that named another variation (or none Sluice knows): left out of
        /// the results.
        public let mismatched: Int

        public init(assigned: Int, exposed: Int, converters: Int, mismatched: Int) {
            self.assigned = assigned
            self.exposed = exposed
            self.converters = converters
            self.mismatched = mismatched
        }
    }

    public let results: ExperimentResults
    public let version: Int
    public let status: ExperimentStatus
    /// The definition's weights, which the sample-ratio check compares the users with.
    public let weights: [Double]
    /// One per variation, in variation order.
    public let counts: [VariationCounts]
    /// People exposed while Sluice puts them outside the experiment, by ``Assignment/Exclusion`` raw value,
    /// sorted by reason.
    public let unassignedExposures: [(reason: String, persons: Int)]

    /// The report of `definition` at `version` from per-variation `counts` and the unassigned exposures.
    ///
    /// Throws ``ExperimentResultsError`` when `counts` does not have one entry per variation or holds a
    /// negative count or more converters than exposed users.
    public init(
        definition: ExperimentDefinition, version: Int, counts: [VariationCounts],
        unassignedExposures: [String: Int] = [:]
    ) throws(ExperimentResultsError) {
        for (index, count) in counts.enumerated() where count.assigned < 0 || count.mismatched < 0 {
            throw ExperimentResultsError(.invalidCounts, "variation \(index) has a negative count")
        }
        results = try ExperimentResults.compute(
            counts: counts.map { ConversionStatistic(users: $0.exposed, converters: $0.converters) },
            definition: definition
        )
        self.version = version
        self.status = definition.status
        self.weights = definition.weights
        self.counts = counts
        self.unassignedExposures = unassignedExposures.filter { $0.value > 0 }.sorted { $0.key < $1.key }
            .map { (reason: $0.key, persons: $0.value) }
    }

    /// Assigned people whose exposures named another variation, over every variation.
    public var mismatchedExposures: Int { counts.reduce(0) { $0 + $1.mismatched } }
    /// People exposed while outside the experiment, over every reason.
    public var unassignedExposureCount: Int { unassignedExposures.reduce(0) { $0 + $1.persons } }

    /// What a person must read before the numbers, most serious first: the sample-ratio mismatch, then exposures
    /// the results leave out. Empty when there is nothing to warn about.
    public var warnings: [String] {
        var warnings: [String] = []
        if results.sampleRatio.isMismatch {
            warnings.append(
                "sample ratio mismatch: the users per variation do not fit the weights (p = "
                    + "\(JSONNumber.text(results.sampleRatio.pValue)) < \(JSONNumber.text(SampleRatioCheck.threshold))); "
                    + "the assignment or the data is broken, do not trust these results until that is explained"
            )
        }
        if mismatchedExposures > 0 {
            warnings.append(
                "\(mismatchedExposures) assigned people were exposed to another variation than theirs (a client bug, "
                    + "or a client using another definition); they are left out of the results"
            )
        }
        if unassignedExposureCount > 0 {
            let reasons = unassignedExposures.map { "\($0.reason) \($0.persons)" }.joined(separator: ", ")
            warnings.append(
                "\(unassignedExposureCount) people outside the experiment sent exposures (\(reasons)); "
                    + "they are not in the results"
            )
        }
        return warnings
    }

    /// The report as the results endpoint and `sluice experiments results --json` answer it: the
    /// ``ExperimentResults/json`` members, with `version` and `status` after `goalEvent`, `assigned` and
    /// `mismatchedExposures` in each variation, and after `srm`:
    /// `"exposures":{"mismatched":N,"unassigned":M,"unassignedByReason":{"excludedByTargeting":M,…}}` and
    /// `"warnings":["…"]`.
    public var json: JSONValue {
        guard case .object(let members) = results.json else { return results.json }
        var output: [JSONMember] = []
        for member in members {
            switch member.key {
            case "variations":
                guard case .array(let variations) = member.value else { continue }
                let extended = zip(variations, counts).map { variation, count -> JSONValue in
                    guard case .object(var fields) = variation else { return variation }
                    fields.append(JSONMember("assigned", Self.integer(count.assigned)))
                    fields.append(JSONMember("mismatchedExposures", Self.integer(count.mismatched)))
                    return .object(fields)
                }
                output.append(JSONMember("variations", .array(extended)))
            case "goalEvent":
                output.append(member)
                output.append(JSONMember("version", Self.integer(version)))
                output.append(JSONMember("status", .string(status.rawValue)))
            default:
                output.append(member)
            }
        }
        output.append(
            JSONMember(
                "exposures",
                .object([
                    JSONMember("mismatched", Self.integer(mismatchedExposures)),
                    JSONMember("unassigned", Self.integer(unassignedExposureCount)),
                    JSONMember(
                        "unassignedByReason",
                        .object(unassignedExposures.map { JSONMember($0.reason, Self.integer($0.persons)) })
                    ),
                ])
            )
        )
        output.append(JSONMember("warnings", .array(warnings.map(JSONValue.string))))
        return .object(output)
    }

    /// ``json`` as compact JSON text.
    public var jsonText: String { json.jsonText }

    private static func integer(_ value: Int) -> JSONValue {
        .number(JSONNumber(Double(value))!)
    }

    public static func == (lhs: ExperimentReport, rhs: ExperimentReport) -> Bool {
        lhs.results == rhs.results && lhs.version == rhs.version && lhs.status == rhs.status && lhs.weights == rhs.weights
            && lhs.counts == rhs.counts
            && lhs.unassignedExposures.elementsEqual(rhs.unassignedExposures) { $0 == $1 }
    }
}
