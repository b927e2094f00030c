import SluiceRollups
import Testing

@Suite struct RollupDimensionTests {
    @Test func theTwelveDimensionsOfTheStatsAPI() {
        #expect(
            RollupDimension.allCases.map(\.name) == [
                "event", "page", "entry_page", "exit_page", "referrer", "utm_source", "utm_medium", "utm_campaign",
                "country", "browser", "os", "device",
            ])
        #expect(RollupDimension.sessionDimensions.count == 10)
        #expect(
            !RollupDimension.sessionDimensions.contains(.page) && !RollupDimension.sessionDimensions.contains(.event))
    }

    @Test func eachDimensionNamesItsColumn() {
        #expect(RollupDimension.referrer.kind == .session(column: "referrer_host"))
        #expect(RollupDimension.device.kind == .session(column: "device_type"))
        #expect(RollupDimension.page.kind == .event(type: "page", column: "page_path", visitColumn: "pages"))
        #expect(RollupDimension.event.kind == .event(type: "track", column: "event", visitColumn: "event_names"))
    }

    @Test func sketchSQLUsesOneSetOfParameters() {
        #expect(RollupSketch.sqlType == "hll(14, 5)")
        #expect(RollupSketch.aggregate("p") == "hll_add_agg(hll_hash_text(p), 14, 5)")
        #expect(RollupSketch.empty == "hll_empty(14, 5)")
    }
}
