import SluiceStats
import Testing

@Suite struct StatsQueryStringTests {
    @Test func splitsAndDecodesPairsInOrder() throws {
        let pairs = try StatsQueryString.pairs("metrics=visitors%2Cvisits&filters=page%3D%3D%2Fa+b&&empty&to=")
        #expect(pairs.map(\.name) == ["metrics", "filters", "empty", "to"])
        #expect(pairs.map(\.value) == ["visitors,visits", "page==/a b", "", ""])
    }

    @Test func noQueryIsNoPairs() throws {
        #expect(try StatsQueryString.pairs(nil).isEmpty)
        #expect(try StatsQueryString.pairs("").isEmpty)
    }

    @Test func decodesUTF8() throws {
        #expect(try StatsQueryString.pairs("filters=page%3D%3D%2F%C3%BCber").first?.value == "page==/über")
    }

    @Test(arguments: ["filters=%zz", "filters=%4", "filters=%C3", "filters=%FF%FE"])
    func refusesMalformedEscapesNamingTheParameter(_ query: String) {
        #expect(throws: StatsError(.invalidParameter, parameter: "filters", "not valid percent-encoded UTF-8")) {
            try StatsQueryString.pairs(query)
        }
    }
}
