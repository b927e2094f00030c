import Testing

@testable import SluiceEnrichment

@Suite struct CampaignTests {
    @Test func readsEveryUTMParameter() throws {
        let campaign = try #require(
            Campaign(
                query:
                    "utm_source=newsletter&utm_medium=email&utm_campaign=spring+sale&utm_term=running%20shoes&utm_content=hero%2Dbanner"
            )
        )
        #expect(
            campaign
                == Campaign(
                    source: "newsletter", medium: "email", name: "spring sale", term: "running shoes",
                    content: "hero-banner"
                )
        )
        #expect(campaign.isComplete)
    }

    @Test func firstOccurrenceWinsAndEmptyValuesAreAbsent() throws {
        let campaign = try #require(Campaign(query: "utm_source=&utm_source=first&utm_source=second&utm_medium"))
        #expect(campaign.source == "first")
        #expect(campaign.medium == nil)
    }

    @Test func noUTMParametersIsNil() {
        #expect(Campaign(query: "q=1&page=2") == nil)
        #expect(Campaign(query: "") == nil)
        #expect(Campaign(query: "UTM_SOURCE=x") == nil)  // names are case-sensitive, as in Google Analytics
    }

    @Test func searchWithOrWithoutItsQuestionMark() {
        #expect(Campaign(search: "?utm_source=a")?.source == "a")
        #expect(Campaign(search: "utm_source=a")?.source == "a")
        #expect(Campaign(search: "?utm_source=a#utm_medium=b")?.medium == nil)
        #expect(Campaign(search: "?") == nil)
    }

    @Test func decodesUTF8AndRepairsInvalidBytes() {
        #expect(Campaign(query: "utm_campaign=caf%C3%A9")?.name == "café")
        #expect(Campaign(query: "utm_campaign=%FFx")?.name == "\u{FFFD}x")
        #expect(Campaign(query: "utm_campaign=%E2%82")?.name?.unicodeScalars.allSatisfy { $0 == "\u{FFFD}" } == true)
    }

    @Test func decodedNULIsDropped() {
        // PostgreSQL text cannot hold NUL; the rest of the value survives.
        #expect(Campaign(query: "utm_source=a%00b")?.source == "ab")
        #expect(Campaign(query: "utm_source=%00") == nil)
        #expect(Campaign(query: "utm_source=%00&utm_source=b")?.source == "b")
    }

    @Test func fillMissingKeepsWhatIsSet() {
        var campaign = Campaign(source: "a")
        campaign.fillMissing(from: Campaign(source: "x", medium: "b"))
        #expect(campaign == Campaign(source: "a", medium: "b"))
        #expect(!campaign.isComplete)
    }

    @Test func cappingCutsAtACharacterBoundary() {
        let long = String(repeating: "é", count: 10)  // 20 bytes
        let capped = Campaign(source: long, medium: "ok").capped(to: 5)
        #expect(capped.source == "éé")
        #expect(capped.medium == "ok")
    }
}
