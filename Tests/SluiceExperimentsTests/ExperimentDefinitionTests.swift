import SluiceExperiments
import Testing

/// Experiment files: GrowthBook's defaults, every field read, every kind of bad input refused with the field
/// named, and the stored form reading back as the same definition.
@Suite struct ExperimentDefinitionTests {
    /// INTERFACE.md's example file.
    static let example = """
        {"key":"checkout-v2","variations":["control","treatment"],"weights":[0.5,0.5],"coverage":1.0,
        "hashAttribute":"id","hashVersion":2,"seed":"checkout-v2","namespace":["ns",0,0.5],
        "goalEvent":"Order Completed","status":"running"}
        """

    @Test func readsEveryField() throws {
        let definition = try ExperimentDefinition(jsonText: Self.example)
        #expect(definition.key == "checkout-v2")
        #expect(definition.variationTexts == ["\"control\"", "\"treatment\""])
        #expect(definition.weights == [0.5, 0.5])
        #expect(definition.coverage == 1)
        #expect(definition.hashAttribute == .id)
        #expect(definition.hashVersion == .v2)
        #expect(definition.seed == "checkout-v2")
        #expect(definition.namespace?.id == "ns")
        #expect(definition.namespace?.lowerBound == 0 && definition.namespace?.upperBound == 0.5)
        #expect(definition.goalEvent == "Order Completed")
        #expect(definition.status == .running)
        #expect(definition.targeting.isEmpty)
        #expect(definition.bucketRanges == [BucketRange(0, 0.5), BucketRange(0.5, 1)])
    }

    /// All but key and variations optional, with GrowthBook's defaults: equal weights, coverage 1, hashAttribute
    /// id, hashVersion 1, seed = key, status running.
    @Test func growthBookDefaults() throws {
        let definition = try ExperimentDefinition(jsonText: #"{"key":"k","variations":[1,2,3]}"#)
        let third = 1.0 / 3
        #expect(definition.weights == [third, third, third])
        #expect(definition.coverage == 1)
        #expect(definition.hashAttribute == .id)
        #expect(definition.hashVersion == .v1)
        #expect(definition.seed == "k")
        #expect(definition.status == .running)
        #expect(definition.namespace == nil && definition.goalEvent == nil && definition.name == nil)
        // An empty seed is the key too (GrowthBook's `seed || key`), and null fields count as absent.
        let nulls = try ExperimentDefinition(
            jsonText: #"{"key":"k","variations":[1,2,3],"seed":"","weights":null,"coverage":null,"status":null}"#
        )
        #expect(nulls == definition)
    }

    /// Variations keep their JSON as written, compacted: key order, number literals, nested values.
    @Test func variationsKeepTheirJSON() throws {
        let definition = try ExperimentDefinition(
            jsonText: """
                {"key":"k","variations":[ {"b": 1.50, "a": [true, null]}, "x\\u00e9\\n", -0, 1e3 ]}
                """
        )
        #expect(definition.variationTexts == [#"{"b":1.50,"a":[true,null]}"#, #""xé\n""#, "-0", "1e3"])
    }

    @Test func readsTargeting() throws {
        let definition = try ExperimentDefinition(
            jsonText: """
                {"key":"k","variations":[0,1],"targeting":{"country":["US"],"browser":{"not":["IE"]},
                 "os":["iOS","Android"],"device":["mobile"],"traits":{"plan":["pro",2,false]}}}
                """
        )
        #expect(
            definition.targeting.country
                == (try TargetingCondition(.oneOf, [.string("US")], field: "", stringsOnly: true)))
        #expect(definition.targeting.browser?.kind == .noneOf)
        #expect(definition.targeting.os?.values.count == 2)
        #expect(definition.targeting.device?.values == [.string("mobile")])
        #expect(definition.targeting.traits.map(\.name) == ["plan"])
        #expect(definition.targeting.traits[0].condition.values.count == 3)
    }

    /// The stored form has every default written out and reads back as the same definition.
    @Test func jsonRoundTrips() throws {
        for text in [
            Self.example, #"{"key":"k","variations":[1,2,3]}"#,
            """
            {"key":"k","name":"The K test","variations":[{"a":1},[2]],"weights":[0.25,0.75],"coverage":0.3,
             "hashAttribute":"company","seed":"s","status":"draft","namespace":["n",0.1,0.35],
             "targeting":{"device":{"not":["bot"]},"traits":{"plan":["pro"]}}}
            """,
        ] {
            let definition = try ExperimentDefinition(jsonText: text)
            let stored = definition.jsonText
            #expect(try ExperimentDefinition(jsonText: stored) == definition, "\(stored)")
        }
        #expect(
            try ExperimentDefinition(jsonText: #"{"key":"k","variations":[1,2]}"#).jsonText
                == #"{"key":"k","variations":[1,2],"weights":[0.5,0.5],"coverage":1,"hashAttribute":"id","#
                + #""hashVersion":1,"seed":"k","status":"running"}"#
        )
    }

    /// Each bad input gives its code and names its field: the command line prints the description as one line.
    @Test(
        arguments: [
            ("not json", .notJSON, nil),
            ("", .notJSON, nil),
            ("[1,2]", .notJSON, nil),
            (#"{"key":"k","variations":[1,2]} trailing"#, .notJSON, nil),
            (#"{"variations":[1,2]}"#, .missingField, "key"),
            (#"{"key":"k"}"#, .missingField, "variations"),
            (#"{"key":"k","variations":"ab"}"#, .invalidField, "variations"),
            (#"{"key":"k","variations":[1]}"#, .invalidField, "variations"),
            (#"{"key":"k","variations":[]}"#, .invalidField, "variations"),
            (#"{"key":1,"variations":[1,2]}"#, .invalidField, "key"),
            (#"{"key":"","variations":[1,2]}"#, .invalidField, "key"),
            (#"{"key":"a/b","variations":[1,2]}"#, .invalidField, "key"),
            (#"{"key":" k","variations":[1,2]}"#, .invalidField, "key"),
            (#"{"key":"k","variations":[1,2],"weights":[1]}"#, .invalidField, "weights"),
            (#"{"key":"k","variations":[1,2],"weights":[0.5,0.25,0.25]}"#, .invalidField, "weights"),
            (#"{"key":"k","variations":[1,2],"weights":[1.5,-0.5]}"#, .invalidField, "weights[1]"),
            (#"{"key":"k","variations":[1,2],"weights":[0.7,0.6]}"#, .invalidField, "weights"),
            (#"{"key":"k","variations":[1,2],"weights":[0.5,"0.5"]}"#, .invalidField, "weights[1]"),
            (#"{"key":"k","variations":[1,2],"weights":0.5}"#, .invalidField, "weights"),
            (#"{"key":"k","variations":[1,2],"coverage":1.01}"#, .invalidField, "coverage"),
            (#"{"key":"k","variations":[1,2],"coverage":-0.1}"#, .invalidField, "coverage"),
            (#"{"key":"k","variations":[1,2],"coverage":"all"}"#, .invalidField, "coverage"),
            (#"{"key":"k","variations":[1,2],"hashVersion":3}"#, .invalidField, "hashVersion"),
            (#"{"key":"k","variations":[1,2],"hashVersion":1.5}"#, .invalidField, "hashVersion"),
            (#"{"key":"k","variations":[1,2],"hashVersion":"2"}"#, .invalidField, "hashVersion"),
            (#"{"key":"k","variations":[1,2],"namespace":"ns"}"#, .invalidField, "namespace"),
            (#"{"key":"k","variations":[1,2],"namespace":["ns",0]}"#, .invalidField, "namespace"),
            (#"{"key":"k","variations":[1,2],"namespace":[1,0,0.5]}"#, .invalidField, "namespace"),
            (#"{"key":"k","variations":[1,2],"namespace":["ns","0",0.5]}"#, .invalidField, "namespace"),
            (#"{"key":"k","variations":[1,2],"namespace":["ns",0.5,0.2]}"#, .invalidField, "namespace"),
            (#"{"key":"k","variations":[1,2],"namespace":["ns",0,1.5]}"#, .invalidField, "namespace"),
            (#"{"key":"k","variations":[1,2],"namespace":["",0,0.5]}"#, .invalidField, "namespace"),
            (#"{"key":"k","variations":[1,2],"status":"paused"}"#, .invalidField, "status"),
            (#"{"key":"k","variations":[1,2],"goalEvent":""}"#, .invalidField, "goalEvent"),
            (#"{"key":"k","variations":[1,2],"hashAttribute":""}"#, .invalidField, "hashAttribute"),
            (#"{"key":"k","variations":[1,2],"seed":7}"#, .invalidField, "seed"),
            (#"{"key":"k","key":"j","variations":[1,2]}"#, .invalidField, "key"),
            (#"{"key":"k","variations":[1,2],"weigths":[0.5,0.5]}"#, .unknownField, "weigths"),
            (#"{"key":"k","variations":[1,2],"condition":{"country":"US"}}"#, .unsupportedField, "condition"),
            (#"{"key":"k","variations":[1,2],"ranges":[[0,0.5],[0.5,1]]}"#, .unsupportedField, "ranges"),
            (#"{"key":"k","variations":[1,2],"targeting":["US"]}"#, .invalidField, "targeting"),
            (#"{"key":"k","variations":[1,2],"targeting":{"city":["Paris"]}}"#, .unknownField, "targeting.city"),
            (#"{"key":"k","variations":[1,2],"targeting":{"country":[]}}"#, .invalidField, "targeting.country"),
            (#"{"key":"k","variations":[1,2],"targeting":{"country":"US"}}"#, .invalidField, "targeting.country"),
            (#"{"key":"k","variations":[1,2],"targeting":{"country":[1]}}"#, .invalidField, "targeting.country[0]"),
            (#"{"key":"k","variations":[1,2],"targeting":{"os":{"not":"iOS"}}}"#, .invalidField, "targeting.os.not"),
            (
                #"{"key":"k","variations":[1,2],"targeting":{"traits":{"plan":[{"a":1}]}}}"#, .invalidField,
                "targeting.traits.plan[0]"
            ),
            (#"{"key":"k","variations":[1,2],"targeting":{"traits":["plan"]}}"#, .invalidField, "targeting.traits"),
        ] as [(String, ExperimentDefinitionError.Code, String?)])
    func refusesBadInput(text: String, code: ExperimentDefinitionError.Code, field: String?) {
        #expect {
            try ExperimentDefinition(jsonText: text)
        } throws: { error in
            guard let error = error as? ExperimentDefinitionError else { return false }
            return error.code == code && error.field == field && !error.description.contains("\n")
        }
    }

    @Test func errorLinesNameTheFieldAndTheProblem() {
        func line(_ text: String) -> String {
            do {
                _ = try ExperimentDefinition(jsonText: text)
                return "accepted"
            } catch {
                return error.description
            }
        }
        #expect(
            line(#"{"key":"k","variations":[1,2,3],"weights":[0.5,0.5]}"#)
                == "weights: needs one number per variation (3), got 2")
        #expect(line(#"{"key":"k","variations":[1,2],"coverage":2}"#) == "coverage: must be in [0, 1], got 2")
        #expect(line(#"{"key":"k","variations":[1,2],"hashVersion":3}"#) == "hashVersion: must be 1 or 2, got 3")
        #expect(line(#"{"variations":[1,2]}"#) == "key: is required")
        #expect(line("{\"key\":") == "not JSON: unexpected end of JSON at byte 7")
    }
}
