import SluiceExperiments
import Testing

/// Results from counts: the JSON the results endpoint answers, and counts that cannot be results.
@Suite struct ExperimentResultsTests {
    static let definition = try! ExperimentDefinition(
        jsonText: #"{"key":"checkout-v2","variations":["control","treatment"],"goalEvent":"Order Completed"}"#
    )

    @Test func json() throws {
        let results = try ExperimentResults.compute(
            counts: [
                ConversionStatistic(users: 1000, converters: 100), ConversionStatistic(users: 1000, converters: 120),
            ],
            definition: Self.definition
        )
        let json = try JSONValue(parsing: results.jsonText)
        #expect(json["experiment"] == .string("checkout-v2"))
        #expect(json["goalEvent"] == .string("Order Completed"))
        let variations = try #require(json["variations"]?.array)
        #expect(variations.count == 2)
        #expect(
            variations[0].jsonText
                == #"{"variant":0,"value":"control","users":1000,"converters":100,"conversionRate":0.1}"#)
        #expect(variations[1]["value"] == .string("treatment"))
        #expect(variations[1]["conversionRate"]?.double == 0.12)
        #expect(variations[1]["uplift"]?.double == results.variations[1].uplift?.uplift)
        #expect(
            variations[1]["ci"]?.array?.compactMap(\.double) == [
                try #require(results.variations[1].uplift?.lower), try #require(results.variations[1].uplift?.upper),
            ])
        #expect(variations[1]["pValue"]?.double == results.variations[1].uplift?.pValue)
        #expect(variations[1]["standardError"]?.double == results.variations[1].uplift?.standardError)
        #expect(variations[1]["error"] == nil)
        #expect(json["srm"]?.jsonText == #"{"pValue":1,"threshold":0.001,"status":"healthy","mismatch":false}"#)
    }

    @Test func jsonOfAnUntestableVariationAndAMismatch() throws {
        let results = try ExperimentResults.compute(
            counts: [ConversionStatistic(users: 1000, converters: 0), ConversionStatistic(users: 1500, converters: 3)],
            definition: Self.definition
        )
        let json = try JSONValue(parsing: results.jsonText)
        let treatment = try #require(json["variations"]?.array?[1])
        #expect(treatment["error"] == .string("ZERO_NEGATIVE_BASELINE_VARIATION"))
        #expect(treatment["ci"]?.jsonText == "[0,0]" && treatment["pValue"]?.double == 1)
        #expect(json["srm"]?["status"] == .string("unhealthy") && json["srm"]?["mismatch"] == .bool(true))
        #expect(results.sampleRatio.isMismatch)
        let noGoal = try ExperimentResults.compute(
            counts: [ConversionStatistic(users: 1, converters: 0), ConversionStatistic(users: 1, converters: 0)],
            definition: try ExperimentDefinition(jsonText: #"{"key":"k","variations":[0,1]}"#)
        )
        #expect(try JSONValue(parsing: noGoal.jsonText)["goalEvent"] == .null)
    }

    @Test(arguments: [
        ([ConversionStatistic(users: 1, converters: 0)], ExperimentResultsError.Code.wrongVariationCount),
        (Array(repeating: ConversionStatistic(users: 1, converters: 0), count: 3), .wrongVariationCount),
        (
            [ConversionStatistic(users: 10, converters: 11), ConversionStatistic(users: 1, converters: 0)],
            .invalidCounts
        ),
        (
            [ConversionStatistic(users: 10, converters: 1), ConversionStatistic(users: -1, converters: 0)],
            .invalidCounts
        ),
        (
            [ConversionStatistic(users: 10, converters: -1), ConversionStatistic(users: 1, converters: 0)],
            .invalidCounts
        ),
    ])
    func refusesCountsThatAreNotResults(counts: [ConversionStatistic], code: ExperimentResultsError.Code) {
        #expect {
            try ExperimentResults.compute(counts: counts, definition: Self.definition)
        } throws: { error in
            (error as? ExperimentResultsError)?.code == code
        }
    }
}

/// The example in docs/experiments.md is what the code prints.
@Suite struct ExperimentResultsDocumentationTests {
    @Test func documentedExample() throws {
        let results = try ExperimentResults.compute(
            counts: [
                ConversionStatistic(users: 1000, converters: 100), ConversionStatistic(users: 1000, converters: 120),
            ],
            definition: ExperimentResultsTests.definition
        )
        let documented = """
            {"experiment":"checkout-v2","goalEvent":"Order Completed",\
            "variations":[{"variant":0,"value":"control","users":1000,"converters":100,"conversionRate":0.1},\
            {"variant":1,"value":"treatment","users":1000,"converters":120,"conversionRate":0.12,\
            "uplift":0.1999999999999999,"ci":[-0.1007679748483516,0.5007679748483513],\
            "pValue":0.19235020701505556,"standardError":0.1533623161014465}],\
            "srm":{"pValue":1,"threshold":0.001,"status":"healthy","mismatch":false}}
            """
        #expect(results.jsonText == documented)
    }
}
