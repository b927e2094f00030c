import SluiceExperiments
import SluiceTestSupport
import Testing

/// `ExperimentDefinition.assign`: GrowthBook's `run` cases, the split over many users, namespace and coverage
/// exclusion rates, each exclusion reason, targeting, and the variant endpoint's JSON.
@Suite struct AssignmentTests {
    static func definition(_ text: String) throws -> ExperimentDefinition {
        try ExperimentDefinition(jsonText: text)
    }

    /// A GrowthBook `run` case's experiment as a Sluice definition: the same fields, with a `condition` on the
    /// browser written as targeting.
    static func definition(growthBook experiment: JSONValue) throws -> ExperimentDefinition {
        guard case .object(let members) = experiment else { throw CaseError.notAnObject }
        let translated = members.map { member -> JSONMember in
            guard member.key == "condition", let browser = member.value["browser"] else { return member }
            return JSONMember("targeting", .object([JSONMember("browser", .array([browser]))]))
        }
        return try ExperimentDefinition(json: .object(translated))
    }

    enum CaseError: Error { case notAnObject }

    /// A GrowthBook context's attributes: `id` is the user id, `browser` the browser column, the rest traits.
    static func attributes(growthBook context: JSONValue) -> ExperimentAttributes {
        var attributes = ExperimentAttributes()
        guard case .object(let members)? = context["attributes"] else { return attributes }
        for member in members {
            switch member.key {
            case "id": attributes.userId = member.value.string
            case "browser": attributes.browser = member.value.string
            default: attributes.traits[member.key] = member.value
            }
        }
        return attributes
    }

    /// `[name, context, experiment, expected value, inExperiment, hashUsed]`.
    @Test func growthBookRunCases() throws {
        let cases = GrowthBookCases.section("run")
        #expect(cases.count == 51)
        for fields in cases {
            let definition = try Self.definition(growthBook: fields[2])
            let assignment = definition.assign(Self.attributes(growthBook: fields[1]))
            #expect(assignment.value == fields[3].jsonText, "\(fields[0])")
            #expect(assignment.inExperiment == (fields[4] == .bool(true)), "\(fields[0])")
        }
    }

    /// `[name, user id, [namespace id, lo, hi], expected]`.
    @Test func growthBookInNamespaceCases() throws {
        let cases = GrowthBookCases.section("inNamespace")
        #expect(cases.count == 16)
        for fields in cases {
            let bounds = try #require(fields[2].array)
            let namespace = try ExperimentNamespace(
                id: try #require(bounds[0].string), lowerBound: try #require(bounds[1].double),
                upperBound: try #require(bounds[2].double)
            )
            #expect(namespace.contains(try #require(fields[1].string)) == (fields[3] == .bool(true)), "\(fields[0])")
        }
    }

    /// Random-looking user ids, the same every run.
    static func userIDs(_ count: Int, seed: UInt64) -> [String] {
        var random = SplitMix64(seed: seed)
        return (0..<count).map { _ in "u-\(String(random.next(), radix: 36))" }
    }

    /// 100,000 users land in each variation within 1 percentage point of its weight, for both hash versions.
    @Test(arguments: [1, 2]) func splitFollowsTheWeights(hashVersion: Int) async throws {
        let definition = try Self.definition(
            #"{"key":"split","variations":["a","b","c"],"weights":[0.2,0.3,0.5],"hashVersion":\#(hashVersion)}"#
        )
        let users = Self.userIDs(100_000, seed: 12)
        let (counts, outside) = try await offThePool {
            var counts = [0, 0, 0]
            var outside = 0
            for user in users {
                let assignment = definition.assign(ExperimentAttributes(userId: user))
                if assignment.inExperiment { counts[assignment.variant] += 1 } else { outside += 1 }
            }
            return (counts, outside)
        }
        #expect(outside == 0)
        for (count, weight) in zip(counts, definition.weights) {
            #expect(abs(Double(count) / Double(users.count) - weight) < 0.01, "\(counts)")
        }
    }

    /// What happened to a population in one experiment: the share in it, the split of those in it, and how many
    /// of those out were out for another reason than `reason`.
    struct Population: Sendable {
        var share: Double
        var counts: [Int]
        var otherReasons: Int
    }

    static func population(_ definition: ExperimentDefinition, _ users: [String], reason: Assignment.Exclusion)
        async throws -> Population
    {
        try await offThePool {
            var counts = Array(repeating: 0, count: definition.variations.count)
            var otherReasons = 0
            for user in users {
                let assignment = definition.assign(ExperimentAttributes(anonymousId: user))
                if assignment.inExperiment {
                    counts[assignment.variant] += 1
                } else if assignment.exclusion != reason {
                    otherReasons += 1
                }
            }
            return Population(
                share: Double(counts.reduce(0, +)) / Double(users.count), counts: counts, otherReasons: otherReasons
            )
        }
    }

    /// Coverage 0.4 keeps 40% of users in (±1 point); a namespace slice of half the space keeps half; both
    /// together a fifth; and the users kept are split by the weights among themselves.
    @Test(arguments: [1, 2]) func coverageAndNamespaceExclusionRates(hashVersion: Int) async throws {
        let users = Self.userIDs(100_000, seed: 34)
        let covered = try await Self.population(
            try Self.definition(#"{"key":"cov","variations":[0,1],"coverage":0.4,"hashVersion":\#(hashVersion)}"#),
            users, reason: .excludedByCoverage
        )
        #expect(abs(covered.share - 0.4) < 0.01 && covered.otherReasons == 0)
        #expect(abs(Double(covered.counts[0]) / Double(covered.counts[0] + covered.counts[1]) - 0.5) < 0.01)
        let spaced = try await Self.population(
            try Self.definition(
                #"{"key":"ns","variations":[0,1],"namespace":["shared",0.25,0.75],"hashVersion":\#(hashVersion)}"#
            ),
            users, reason: .notInNamespace
        )
        #expect(abs(spaced.share - 0.5) < 0.01 && spaced.otherReasons == 0)
        let both = try await Self.population(
            try Self.definition(
                #"{"key":"both","variations":[0,1],"coverage":0.4,"namespace":["shared",0.25,0.75],"#
                    + #""hashVersion":\#(hashVersion)}"#
            ),
            users, reason: .notInNamespace
        )
        #expect(abs(both.share - 0.2) < 0.01)
    }

    /// Two experiments on disjoint slices of one namespace never share a user, and between them take the
    /// slices' share.
    @Test func disjointNamespaceSlicesShareNoUser() async throws {
        let first = try Self.definition(#"{"key":"first","variations":[0,1],"namespace":["checkout",0,0.3]}"#)
        let second = try Self.definition(
            #"{"key":"second","variations":[0,1],"namespace":["checkout",0.3,0.7],"hashVersion":2}"#
        )
        let users = Self.userIDs(50_000, seed: 56)
        let (inFirst, inSecond, inBoth) = try await offThePool {
            var inFirst = 0
            var inSecond = 0
            var inBoth = 0
            for user in users {
                let a = first.assign(ExperimentAttributes(userId: user)).inExperiment
                let b = second.assign(ExperimentAttributes(userId: user)).inExperiment
                if a { inFirst += 1 }
                if b { inSecond += 1 }
                if a && b { inBoth += 1 }
            }
            return (inFirst, inSecond, inBoth)
        }
        #expect(inBoth == 0)
        #expect(abs(Double(inFirst) / Double(users.count) - 0.3) < 0.01)
        #expect(abs(Double(inSecond) / Double(users.count) - 0.4) < 0.01)
    }

    /// `assign` equals SPECS.md's formulas composed by hand from the public hash: the namespace by
    /// `hash("__" + id, value, 1)`, the bucket by `hash(seed, value, version)` and the ranges.
    @Test(arguments: [1, 2]) func assignEqualsTheSpecFormulas(hashVersion: Int) throws {
        let definition = try Self.definition(
            """
            {"key":"formula","variations":["a","b","c"],"weights":[0.3,0.3,0.4],"coverage":0.7,"seed":"s-😀",
             "namespace":["pool",0.2,0.9],"hashVersion":\(hashVersion)}
            """
        )
        for user in Self.userIDs(5000, seed: 78) + ["😀", "é-1", "x"] {
            let assignment = definition.assign(ExperimentAttributes(userId: user))
            let namespaceHash = try #require(GrowthBookHash.hash(seed: "__pool", value: user, version: 1))
            guard namespaceHash >= 0.2 && namespaceHash < 0.9 else {
                #expect(assignment.exclusion == .notInNamespace)
                continue
            }
            let n = try #require(GrowthBookHash.hash(seed: "s-😀", value: user, version: hashVersion))
            let ranges = BucketRange.ranges(count: 3, coverage: 0.7, weights: [0.3, 0.3, 0.4])
            if let variant = ranges.firstIndex(where: { $0.lowerBound <= n && n < $0.upperBound }) {
                #expect(assignment.inExperiment && assignment.variant == variant, "\(user)")
            } else {
                #expect(assignment.exclusion == .excludedByCoverage, "\(user)")
            }
        }
    }

    @Test func eachExclusionReason() throws {
        let user = ExperimentAttributes(userId: "user-1", country: "US")
        let base = #""key":"reasons","variations":["off","on"]"#
        #expect(try Self.definition("{\(base),\"status\":\"draft\"}").assign(user).exclusion == .draft)
        #expect(try Self.definition("{\(base),\"status\":\"stopped\"}").assign(user).exclusion == .stopped)
        #expect(try Self.definition("{\(base)}").assign(ExperimentAttributes()).exclusion == .missingHashAttribute)
        #expect(
            try Self.definition("{\(base),\"namespace\":[\"n\",0,0.001]}").assign(user).exclusion == .notInNamespace
        )
        #expect(
            try Self.definition("{\(base),\"targeting\":{\"country\":[\"DE\"]}}").assign(user).exclusion
                == .excludedByTargeting
        )
        #expect(try Self.definition("{\(base),\"coverage\":0}").assign(user).exclusion == .excludedByCoverage)

        let running = try Self.definition("{\(base)}").assign(user)
        #expect(running.inExperiment && running.exclusion == nil)
        // A user out of the experiment gets variation 0's value.
        let out = try Self.definition("{\(base),\"status\":\"draft\"}").assign(user)
        #expect(out.variant == 0 && out.value == "\"off\"" && !out.inExperiment)
        // Status is checked first, then the hash attribute, then the namespace, then targeting, as GrowthBook.
        let all = try Self.definition(
            "{\(base),\"status\":\"draft\",\"namespace\":[\"n\",0,0.001],\"targeting\":{\"country\":[\"DE\"]}}"
        )
        #expect(all.assign(ExperimentAttributes()).exclusion == .draft)
        let outside = try Self.definition(
            "{\(base),\"namespace\":[\"n\",0,0.001],\"targeting\":{\"country\":[\"DE\"]},\"coverage\":0}"
        )
        #expect(outside.assign(ExperimentAttributes()).exclusion == .missingHashAttribute)
        #expect(outside.assign(user).exclusion == .notInNamespace)
    }

    @Test func hashAttributes() throws {
        func bucketed(_ hashAttribute: String, _ attributes: ExperimentAttributes) throws -> Assignment {
            try Self.definition(#"{"key":"h","variations":[0,1],"hashAttribute":"\#(hashAttribute)"}"#).assign(
                attributes)
        }
        let both = ExperimentAttributes(userId: "u-1", anonymousId: "a-9")
        let plain = try Self.definition(#"{"key":"h","variations":[0,1]}"#)
        // `id` hashes the userId when there is one, else the anonymousId.
        #expect(plain.assign(both) == plain.assign(ExperimentAttributes(userId: "u-1")))
        #expect(plain.assign(ExperimentAttributes(userId: "", anonymousId: "a-9")).inExperiment)
        #expect(try bucketed("userId", ExperimentAttributes(anonymousId: "a-9")).exclusion == .missingHashAttribute)
        #expect(try bucketed("anonymousId", ExperimentAttributes(userId: "u-1")).exclusion == .missingHashAttribute)
        #expect(try bucketed("anonymousId", both) == bucketed("anonymousId", ExperimentAttributes(anonymousId: "a-9")))

        // A trait: strings as themselves, numbers as written, true as "true"; false, 0, null, "" and containers
        // are missing, as GrowthBook's String(value || "").
        let hashAttribute = HashAttribute(name: "company")
        func value(_ trait: JSONValue) -> String? {
            hashAttribute.value(in: ExperimentAttributes(traits: ["company": trait]))
        }
        #expect(value(.string("acme")) == "acme")
        #expect(value(try JSONValue(parsing: "42")) == "42")
        #expect(value(.bool(true)) == "true")
        for missing in ["false", "0", "null", "\"\"", "[1]", "{}"] {
            #expect(value(try JSONValue(parsing: missing)) == nil, "\(missing)")
        }
        #expect(hashAttribute.value(in: ExperimentAttributes(userId: "u")) == nil)
    }

    @Test func targetingRules() throws {
        let definition = try Self.definition(
            """
            {"key":"t","variations":[0,1],"targeting":{"country":["US","CA"],"device":{"not":["bot"]},
             "traits":{"plan":["pro"],"seats":[10],"beta":[true],"region":{"not":["eu"]}}}}
            """
        )
        let traits: [String: JSONValue] = [
            "plan": .string("pro"), "seats": try JSONValue(parsing: "10.0"), "beta": .bool(true),
        ]
        let eligible = ExperimentAttributes(userId: "u", country: "US", device: "mobile", traits: traits)
        #expect(definition.assign(eligible).inExperiment)
        // A missing device passes "none of"; a missing country fails "one of".
        var attributes = eligible
        attributes.device = nil
        #expect(definition.targeting.matches(attributes))
        attributes.country = nil
        #expect(!definition.targeting.matches(attributes))
        // Comparisons are exact: case matters, types must agree.
        attributes = eligible
        attributes.country = "us"
        #expect(!definition.targeting.matches(attributes))
        attributes = eligible
        attributes.device = "bot"
        #expect(!definition.targeting.matches(attributes))
        attributes = eligible
        attributes.traits["seats"] = .string("10")
        #expect(!definition.targeting.matches(attributes))
        attributes = eligible
        attributes.traits["beta"] = nil
        #expect(!definition.targeting.matches(attributes))
        attributes = eligible
        attributes.traits["region"] = .string("eu")
        #expect(!definition.targeting.matches(attributes))
    }

    @Test func variantEndpointJSON() throws {
        let definition = try Self.definition(
            #"{"key":"checkout-v2","variations":["control",{"color":"green","n":1.50}],"weights":[0,1]}"#
        )
        #expect(
            definition.assign(ExperimentAttributes(userId: "u")).jsonText
                == #"{"experiment":"checkout-v2","inExperiment":true,"variant":1,"value":{"color":"green","n":1.50}}"#
        )
        #expect(
            definition.assign(ExperimentAttributes()).jsonText
                == #"{"experiment":"checkout-v2","inExperiment":false,"variant":0,"value":"control","#
                + #""reason":"missingHashAttribute"}"#
        )
    }
}
