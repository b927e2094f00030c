import Testing

@testable import SluiceEnrichment

@Suite struct CountryCodeTests {
    @Test func locationCodeWinsAndIsUpperCased() {
        #expect(CountryCode.resolve(location: "de", header: "FR") == "DE")
        #expect(CountryCode.resolve(location: " Us ", header: nil) == "US")
    }

    @Test func headerIsTheFallback() {
        #expect(CountryCode.resolve(location: nil, header: "FR") == "FR")
        #expect(CountryCode.resolve(location: "Germany", header: "fr") == "FR")
        #expect(CountryCode.resolve(location: "", header: "NL") == "NL")
    }

    @Test func unknownAndNonCountryCodesAreNil() {
        #expect(CountryCode.resolve(location: nil, header: "XX") == nil)
        #expect(CountryCode.resolve(location: "xx", header: "XX") == nil)
        #expect(CountryCode.resolve(location: "ZZ", header: nil) == nil)
        #expect(CountryCode.resolve(location: nil, header: "T1") == nil)  // Cloudflare: Tor
        #expect(CountryCode.resolve(location: "XX", header: "SE") == "SE")
        #expect(CountryCode.resolve(location: nil, header: nil) == nil)
        #expect(CountryCode.resolve(location: "USA", header: "U") == nil)
        #expect(CountryCode.resolve(location: "ÄB", header: "1A") == nil)
    }
}
