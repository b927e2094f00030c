extension ExperimentDefinition {
    /// The fields an experiment file may have; only `key` and `variations` are required.
    public static let fieldNames: [String] = [
        "key", "name", "variations", "weights", "coverage", "hashAttribute", "hashVersion", "seed", "namespace",
        "status", "goalEvent", "targeting",
    ]

    /// GrowthBook experiment fields that change who gets which variation and that Sluice does not implement:
    /// refused rather than ignored, so that no file silently buckets users differently from GrowthBook.
    public static let unsupportedGrowthBookFields: Set<String> = [
        "active", "condition", "filters", "ranges", "force", "include", "groups", "url", "parentConditions",
        "fallbackAttribute", "bucketVersion", "minBucketVersion", "disableStickyBucketing",
    ]

    /// A definition from an experiment file's text, e.g.
    /// `{"key":"checkout-v2","variations":["control","treatment"],"weights":[0.5,0.5]}`.
    ///
    /// Throws ``ExperimentDefinitionError`` naming the field: `notJSON` when the text is not a JSON object;
    /// `missingField` without `key` or `variations`; `unknownField` / `unsupportedField` for any field not in
    /// ``fieldNames``; `invalidField` for a field of the wrong type or value (see ``init(json:)``).
    public init(jsonText: String) throws(ExperimentDefinitionError) {
        let json: JSONValue
        do {
            json = try JSONValue(parsing: jsonText)
        } catch {
            throw ExperimentDefinitionError(.notJSON, field: nil, "not JSON: \(error)")
        }
        try self.init(json: json)
    }

    /// A definition from an experiment file's parsed JSON. A `null` optional field counts as absent.
    ///
    /// Types: `key`, `name`, `seed`, `hashAttribute`, `goalEvent` strings; `variations` an array of any JSON
    /// values; `weights` an array of numbers; `coverage` a number; `hashVersion` 1 or 2; `namespace`
    /// `[id, lo, hi]` with `0 ≤ lo < hi ≤ 1`; `status` `draft`, `running` or `stopped`; `targeting` as
    /// ``ExperimentTargeting`` describes. Values are then checked as the field-by-field initializer does.
    public init(json: JSONValue) throws(ExperimentDefinitionError) {
        guard case .object(let members) = json else {
            throw ExperimentDefinitionError(.notJSON, field: nil, "must be a JSON object, not \(json.kindDescription)")
        }
        var fields: [String: JSONValue] = [:]
        for member in members {
            guard fields[member.key] == nil else {
                throw ExperimentDefinitionError(.invalidField, field: member.key, "appears twice")
            }
            if Self.unsupportedGrowthBookFields.contains(member.key) {
                throw ExperimentDefinitionError(
                    .unsupportedField, field: member.key,
                    "is a GrowthBook field Sluice does not support (it would change who gets which variation)"
                )
            }
            guard Self.fieldNames.contains(member.key) else {
                throw ExperimentDefinitionError(
                    .unknownField, field: member.key,
                    "is not an experiment field (known: \(Self.fieldNames.joined(separator: ", ")))"
                )
            }
            fields[member.key] = member.value
        }
        func optional(_ name: String) -> JSONValue? {
            fields[name].flatMap { $0 == .null ? nil : $0 }
        }

        guard let keyValue = fields["key"] else {
            throw ExperimentDefinitionError(.missingField, field: "key", "is required")
        }
        guard let variationsValue = fields["variations"] else {
            throw ExperimentDefinitionError(.missingField, field: "variations", "is required")
        }
        guard case .array(let variations) = variationsValue else {
            throw Self.wrongType("variations", variationsValue, expected: "an array of variation values")
        }
        let weights = try optional("weights").map { value throws(ExperimentDefinitionError) in
            guard case .array(let elements) = value else {
                throw Self.wrongType("weights", value, expected: "an array of numbers")
            }
            var weights: [Double] = []
            for (index, element) in elements.enumerated() {
                weights.append(try Self.number(element, field: "weights[\(index)]"))
            }
            return weights
        }
        let hashVersion = try optional("hashVersion").map { value throws(ExperimentDefinitionError) in
            let number = try Self.number(value, field: "hashVersion")
            guard let version = number == 1 ? HashVersion.v1 : number == 2 ? HashVersion.v2 : nil else {
                throw ExperimentDefinitionError(
                    .invalidField, field: "hashVersion", "must be 1 or 2, got \(JSONNumber.text(number))"
                )
            }
            return version
        }
        let status = try optional("status").map { value throws(ExperimentDefinitionError) in
            let text = try Self.string(value, field: "status")
            guard let status = ExperimentStatus(rawValue: text) else {
                throw ExperimentDefinitionError(
                    .invalidField, field: "status", "must be draft, running or stopped, got \"\(text)\""
                )
            }
            return status
        }
        try self.init(
            key: try Self.string(keyValue, field: "key"),
            name: try optional("name").map { value throws(ExperimentDefinitionError) in
                try Self.string(value, field: "name")
            },
            variations: variations,
            weights: weights,
            coverage: try optional("coverage").map { value throws(ExperimentDefinitionError) in
                try Self.number(value, field: "coverage")
            } ?? 1,
            hashAttribute: try optional("hashAttribute").map { value throws(ExperimentDefinitionError) in
                HashAttribute(name: try Self.string(value, field: "hashAttribute"))
            } ?? .id,
            hashVersion: hashVersion ?? .v1,
            seed: try optional("seed").map { value throws(ExperimentDefinitionError) in
                try Self.string(value, field: "seed")
            },
            namespace: try optional("namespace").map(Self.namespace),
            status: status ?? .running,
            goalEvent: try optional("goalEvent").map { value throws(ExperimentDefinitionError) in
                try Self.string(value, field: "goalEvent")
            },
            targeting: try optional("targeting").map(Self.targeting) ?? .everyone
        )
    }

    private static func wrongType(_ field: String, _ value: JSONValue, expected: String) -> ExperimentDefinitionError {
        ExperimentDefinitionError(.invalidField, field: field, "must be \(expected), not \(value.kindDescription)")
    }

    private static func string(_ value: JSONValue, field: String) throws(ExperimentDefinitionError) -> String {
        guard case .string(let text) = value else { throw wrongType(field, value, expected: "a string") }
        return text
    }

    private static func number(_ value: JSONValue, field: String) throws(ExperimentDefinitionError) -> Double {
        guard case .number(let number) = value else { throw wrongType(field, value, expected: "a number") }
        guard number.value.isFinite else {
            throw ExperimentDefinitionError(.invalidField, field: field, "is too large: \(number.text)")
        }
        return number.value
    }

    private static func namespace(_ value: JSONValue) throws(ExperimentDefinitionError) -> ExperimentNamespace {
        let shape = "an array [id, lo, hi] (a string and two numbers)"
        guard case .array(let elements) = value, elements.count == 3 else {
            throw ExperimentDefinitionError(
                .invalidField, field: "namespace", "must be \(shape), got \(value.jsonText.prefix(80))"
            )
        }
        guard case .string(let id) = elements[0], case .number(let lower) = elements[1],
            case .number(let upper) = elements[2]
        else {
            throw ExperimentDefinitionError(
                .invalidField, field: "namespace", "must be \(shape), got \(value.jsonText.prefix(80))"
            )
        }
        return try ExperimentNamespace(id: id, lowerBound: lower.value, upperBound: upper.value)
    }

    private static func targeting(_ value: JSONValue) throws(ExperimentDefinitionError) -> ExperimentTargeting {
        guard case .object(let members) = value else { throw wrongType("targeting", value, expected: "an object") }
        var columns: [String: TargetingCondition] = [:]
        var traits: [(name: String, condition: TargetingCondition)] = []
        var seen: Set<String> = []
        for member in members {
            let field = "targeting.\(member.key)"
            guard seen.insert(member.key).inserted else {
                throw ExperimentDefinitionError(.invalidField, field: field, "appears twice")
            }
            switch member.key {
            case "country", "browser", "os", "device":
                columns[member.key] = try condition(member.value, field: field, stringsOnly: true)
            case "traits":
                guard case .object(let rules) = member.value else {
                    throw wrongType(field, member.value, expected: "an object of trait rules")
                }
                for rule in rules {
                    let ruleField = "\(field).\(rule.key)"
                    guard !traits.contains(where: { $0.name == rule.key }) else {
                        throw ExperimentDefinitionError(.invalidField, field: ruleField, "appears twice")
                    }
                    traits.append((rule.key, try condition(rule.value, field: ruleField, stringsOnly: false)))
                }
            default:
                throw ExperimentDefinitionError(
                    .unknownField, field: field, "is not a targeting rule (known: country, browser, os, device, traits)"
                )
            }
        }
        return ExperimentTargeting(
            country: columns["country"], browser: columns["browser"], os: columns["os"], device: columns["device"],
            traits: traits
        )
    }

    private static func condition(
        _ value: JSONValue, field: String, stringsOnly: Bool
    ) throws(ExperimentDefinitionError) -> TargetingCondition {
        switch value {
        case .array(let values):
            return try TargetingCondition(.oneOf, values, field: field, stringsOnly: stringsOnly)
        case .object(let members) where members.count == 1 && members[0].key == "not":
            guard case .array(let values) = members[0].value else {
                throw wrongType("\(field).not", members[0].value, expected: "an array of values")
            }
            return try TargetingCondition(.noneOf, values, field: "\(field).not", stringsOnly: stringsOnly)
        default:
            throw ExperimentDefinitionError(
                .invalidField, field: field,
                "must be an array of values (one of them) or {\"not\": [values]} (none of them)"
            )
        }
    }
}
