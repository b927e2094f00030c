/// An experiment's results: per variation users, converters and conversion rate; for each variation after the
/// first, its relative uplift over the first with a 95% interval and p-value; and the sample-ratio check. Equal
/// to what GrowthBook's gbstats 0.8.0 computes in frequentist mode for a binomial metric (see
/// ``UpliftEstimate`` and ``SampleRatioCheck``).
public struct ExperimentResults: Sendable, Equatable {
    /// One variation's numbers.
    public struct Variation: Sendable, Equatable {
        /// The variation's index (0 is the control).
        public let variant: Int
        /// The variation's value.
        public let value: JSONValue
        public let statistic: ConversionStatistic
        /// The comparison with the control; `nil` for the control itself.
        public let uplift: UpliftEstimate?
    }

    public let experiment: String
    public let goalEvent: String?
    public let variations: [Variation]
    public let sampleRatio: SampleRatioCheck

    /// Computes the results of `definition` from `counts`, one per variation in variation order: the users
    /// assigned (exposed) to it and how many of them converted (did the goal event after their first exposure).
    ///
    /// The sample-ratio check compares the users with the definition's ``ExperimentDefinition/weights``.
    /// Throws ``ExperimentResultsError`` when `counts` does not have one entry per variation, or a count is
    /// negative, or a variation has more converters than users.
    public static func compute(
        counts: [ConversionStatistic], definition: ExperimentDefinition, alpha: Double = UpliftEstimate.defaultAlpha
    ) throws(ExperimentResultsError) -> ExperimentResults {
        guard counts.count == definition.variations.count else {
            throw ExperimentResultsError(
                .wrongVariationCount,
                "\(counts.count) counts for the \(definition.variations.count) variations of \"\(definition.key)\""
            )
        }
        for (index, count) in counts.enumerated() where count.users < 0 || count.converters < 0 {
            throw ExperimentResultsError(.invalidCounts, "variation \(index) has a negative count")
        }
        for (index, count) in counts.enumerated() where count.converters > count.users {
            throw ExperimentResultsError(
                .invalidCounts, "variation \(index) has \(count.converters) converters but \(count.users) users"
            )
        }
        let variations = counts.enumerated().map { index, count in
            Variation(
                variant: index, value: definition.variations[index], statistic: count,
                uplift: index == 0 ? nil : UpliftEstimate.compare(baseline: counts[0], variation: count, alpha: alpha)
            )
        }
        return ExperimentResults(
            experiment: definition.key, goalEvent: definition.goalEvent, variations: variations,
            sampleRatio: SampleRatioCheck(users: counts.map(\.users), weights: definition.weights)
        )
    }

    /// The results as the results endpoint and `sluice experiments results --json` answer them (one line; here
    /// wrapped):
    ///
    ///     {"experiment":"checkout-v2","goalEvent":"Order Completed",
    ///      "variations":[{"variant":0,"value":"control","users":1000,"converters":100,"conversionRate":0.1},
    ///                    {"variant":1,"value":"treatment","users":1000,"converters":120,"conversionRate":0.12,
    ///                     "uplift":0.1999999999999999,"ci":[-0.1007679748483516,0.5007679748483513],
    ///                     "pValue":0.19235020701505556,"standardError":0.1533623161014465}],
    ///      "srm":{"pValue":1,"threshold":0.001,"status":"healthy","mismatch":false}}
    ///
    /// `uplift` is relative, `ci` its interval at the computed confidence (95% by default); a variation gbstats
    /// cannot test also has `"error"` with gbstats' message code (``UpliftEstimate/Problem``). `goalEvent` is
    /// `null` when the definition has none.
    public var json: JSONValue {
        .object([
            JSONMember("experiment", .string(experiment)),
            JSONMember("goalEvent", goalEvent.map(JSONValue.string) ?? .null),
            JSONMember("variations", .array(variations.map(\.json))),
            JSONMember(
                "srm",
                .object([
                    JSONMember("pValue", Self.number(sampleRatio.pValue)),
                    JSONMember("threshold", Self.number(SampleRatioCheck.threshold)),
                    JSONMember("status", .string(sampleRatio.status.rawValue)),
                    JSONMember("mismatch", .bool(sampleRatio.isMismatch)),
                ])
            ),
        ])
    }

    /// ``json`` as compact JSON text.
    public var jsonText: String { json.jsonText }

    /// A number as JSON; `null` for an infinity or NaN.
    static func number(_ value: Double) -> JSONValue {
        JSONNumber(value).map(JSONValue.number) ?? .null
    }
}

extension ExperimentResults.Variation {
    /// The variation's entry in ``ExperimentResults/json``.
    var json: JSONValue {
        var members = [
            JSONMember("variant", .number(JSONNumber(Double(variant))!)),
            JSONMember("value", value),
            JSONMember("users", .number(JSONNumber(Double(statistic.users))!)),
            JSONMember("converters", .number(JSONNumber(Double(statistic.converters))!)),
            JSONMember("conversionRate", ExperimentResults.number(statistic.conversionRate)),
        ]
        if let uplift {
            members.append(JSONMember("uplift", ExperimentResults.number(uplift.uplift)))
            members.append(
                JSONMember(
                    "ci", .array([ExperimentResults.number(uplift.lower), ExperimentResults.number(uplift.upper)]))
            )
            members.append(JSONMember("pValue", ExperimentResults.number(uplift.pValue)))
            members.append(JSONMember("standardError", ExperimentResults.number(uplift.standardError)))
            if let problem = uplift.problem { members.append(JSONMember("error", .string(problem.rawValue))) }
        }
        return .object(members)
    }
}
