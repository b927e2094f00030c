import SluiceCore
import Testing

@testable import SluiceEnrichment

/// A row received at `receivedAt` (Unix seconds) with nothing extracted yet.
func makeRow(receivedAt seconds: Int64 = 1_773_489_600) -> EventRow {
    let time = Timestamp(unixMicroseconds: seconds * 1_000_000)
    return EventRow(projectID: 7, messageID: "m-1", type: .page, timestamp: time, receivedAt: time)
}

@Suite struct EnricherTests {
    private let enricher = Enricher(secret: Array(repeating: 0x5A, count: 32))

    private func enriched(
        _ hints: EventHints, clientAddress: InetAddress? = nil, headerCountry: String? = nil,
        using enricher: Enricher? = nil, row: EventRow = makeRow()
    ) -> EventRow {
        var row = row
        (enricher ?? self.enricher).enrich(
            &row, hints: hints, clientAddress: clientAddress, headerCountry: headerCountry)
        return row
    }

    // MARK: page path

    @Test func pagePathPrefersTheGivenPath() {
        let row = enriched(EventHints(pageURL: "https://example.com/from-url", pagePath: "/given"))
        #expect(row.pagePath == "/given")
    }

    @Test func pagePathDropsQueryAndFragment() {
        #expect(enriched(EventHints(pagePath: "/a?b=1#c")).pagePath == "/a")
        #expect(enriched(EventHints(pageURL: "https://example.com/docs/intro?x=1#part")).pagePath == "/docs/intro")
    }

    @Test func pagePathFallsBackToTheURL() {
        #expect(enriched(EventHints(pageURL: "https://example.com/pricing")).pagePath == "/pricing")
        #expect(enriched(EventHints(pageURL: "https://example.com/x", pagePath: "")).pagePath == "/x")
        #expect(enriched(EventHints(pageURL: "/relative/page?q")).pagePath == "/relative/page")
    }

    @Test func emptyPathIsSlash() {
        #expect(enriched(EventHints(pageURL: "https://example.com")).pagePath == "/")
        #expect(enriched(EventHints(pageURL: "https://example.com?utm_source=x")).pagePath == "/")
        #expect(enriched(EventHints(pagePath: "")).pagePath == "/")
        #expect(enriched(EventHints(pagePath: "?only=query")).pagePath == "/")
    }

    @Test func noPageMeansNoPath() {
        #expect(enriched(EventHints()).pagePath == nil)
        #expect(enriched(EventHints(pageURL: "about:blank")).pagePath == nil)
    }

    @Test func longPathsAreCapped() {
        let long = "/" + String(repeating: "ü", count: 3_000)
        let path = enriched(EventHints(pagePath: long)).pagePath
        #expect(path?.utf8.count == 1_999)  // "/" and 999 two-byte characters: the cut never splits one
        #expect(path.map { long.hasPrefix($0) } == true)
        let fromURL = enriched(EventHints(pageURL: "https://example.com/" + String(repeating: "a", count: 5_000)))
        #expect(fromURL.pagePath?.utf8.count == Enricher.maximumTextBytes)
    }

    // MARK: referrer

    @Test func referrerHostIsLowerCasedWithoutWWW() {
        let row = enriched(EventHints(pageURL: "https://example.com/", referrer: "https://WWW.Google.de/search?q=x"))
        #expect(row.referrerHost == "google.de")
    }

    @Test func selfReferralIsNil() {
        #expect(
            enriched(EventHints(pageURL: "https://www.example.com/b", referrer: "https://example.com/a")).referrerHost
                == nil
        )
        #expect(
            enriched(EventHints(pageURL: "https://shop.example.com/", referrer: "https://example.com/")).referrerHost
                == "example.com"
        )
    }

    @Test func emptyOrUnparseableReferrerIsNil() {
        #expect(enriched(EventHints(pageURL: "https://example.com/", referrer: "")).referrerHost == nil)
        #expect(enriched(EventHints(referrer: "android")).referrerHost == nil)
        #expect(enriched(EventHints(referrer: "https:// bad host/")).referrerHost == nil)
        #expect(enriched(EventHints(referrer: "https://t.co/abc")).referrerHost == "t.co")
    }

    // MARK: UTM

    @Test func campaignContextWins() {
        let row = enriched(
            EventHints(
                pageURL: "https://example.com/?utm_source=url&utm_medium=url",
                search: "?utm_source=search",
                campaignSource: "context", campaignMedium: "context-medium", campaignName: "spring",
                campaignTerm: "shoes", campaignContent: "hero"
            )
        )
        #expect(row.utmSource == "context")
        #expect(row.utmMedium == "context-medium")
        #expect(row.utmCampaign == "spring")
        #expect(row.utmTerm == "shoes")
        #expect(row.utmContent == "hero")
    }

    @Test func eachMissingParameterFallsBackSeparately() {
        let row = enriched(
            EventHints(
                pageURL: "https://example.com/?utm_medium=from%20url&utm_campaign=url+campaign",
                search: "?utm_medium=search&utm_term=from+search&utm_content=c%2B1",
                campaignSource: "context", campaignMedium: ""
            )
        )
        #expect(row.utmSource == "context")
        #expect(row.utmMedium == "from url")  // empty in the context, so the URL's
        #expect(row.utmCampaign == "url campaign")
        #expect(row.utmTerm == "from search")  // not in the URL, so the search's
        #expect(row.utmContent == "c+1")
    }

    @Test func searchWithoutQuestionMarkAndWithoutURL() {
        let row = enriched(EventHints(search: "utm_source=bing&utm_medium=cpc"))
        #expect(row.utmSource == "bing")
        #expect(row.utmMedium == "cpc")
        #expect(row.utmCampaign == nil)
    }

    @Test func noCampaignAnywhere() {
        let row = enriched(EventHints(pageURL: "https://example.com/?q=1", search: "?q=1"))
        #expect([row.utmSource, row.utmMedium, row.utmCampaign, row.utmTerm, row.utmContent].allSatisfy { $0 == nil })
    }

    @Test func longCampaignValuesAreCapped() {
        let row = enriched(EventHints(campaignSource: String(repeating: "s", count: 10_000)))
        #expect(row.utmSource?.utf8.count == Enricher.maximumTextBytes)
    }

    // MARK: country

    @Test func countryFromLocationElseHeader() {
        #expect(enriched(EventHints(country: "se"), headerCountry: "DE").country == "SE")
        #expect(enriched(EventHints(country: "Sweden"), headerCountry: "DE").country == "DE")
        #expect(enriched(EventHints(), headerCountry: "XX").country == nil)
        #expect(enriched(EventHints(), headerCountry: "T1").country == nil)
        #expect(enriched(EventHints()).country == nil)
    }

    // MARK: user agent

    @Test func userAgentColumns() {
        let row = enriched(
            EventHints(
                userAgent:
                    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1"
            )
        )
        #expect(row.browser == "Safari")
        #expect(row.os == "iOS")
        #expect(row.deviceType == "mobile")
        #expect(!row.isBot)
    }

    @Test func botsAreFlagged() {
        let row = enriched(
            EventHints(userAgent: "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"))
        #expect(row.isBot)
        #expect(row.deviceType == "bot")
        #expect(row.browser == "Googlebot")
        #expect(row.os == nil)
    }

    @Test func noUserAgentLeavesTheColumnsEmpty() {
        for userAgent in [nil, ""] as [String?] {
            let row = enriched(EventHints(userAgent: userAgent))
            #expect(row.browser == nil && row.os == nil && row.deviceType == nil)
            #expect(!row.isBot)
        }
    }

    // MARK: IP address

    @Test func defaultModeTruncates() throws {
        #expect(enricher.ipMode == .truncate)
        #expect(enriched(EventHints(ip: "203.0.113.77")).ip?.description == "203.0.113.0/24")
        #expect(enriched(EventHints(ip: " 2001:db8:1:2:3:4:5:6 ")).ip?.description == "2001:db8:1::/48")
        #expect(enriched(EventHints(ip: "::ffff:203.0.113.77")).ip?.description == "203.0.113.0/24")
    }

    @Test func eventAddressWinsOverThePeer() throws {
        let peer = try #require(InetAddress("198.51.100.9"))
        #expect(enriched(EventHints(ip: "203.0.113.77"), clientAddress: peer).ip?.description == "203.0.113.0/24")
        #expect(enriched(EventHints(), clientAddress: peer).ip?.description == "198.51.100.0/24")
        // Not an address (or a zoned one, which `inet` cannot hold): the peer's is used.
        for bad in ["", "unknown", "fe80::1%eth0", "999.1.1.1", "1.2.3.4\u{0}"] {
            #expect(enriched(EventHints(ip: bad), clientAddress: peer).ip?.description == "198.51.100.0/24")
        }
        #expect(enriched(EventHints(ip: "garbage")).ip == nil)
        // An address that comes with a prefix keeps the shorter of the two.
        #expect(enriched(EventHints(ip: "10.1.2.3/8")).ip?.description == "10.0.0.0/8")
        #expect(enriched(EventHints(ip: "10.1.2.3/32")).ip?.description == "10.1.2.0/24")
    }

    @Test func mappedPeerAddressIsTruncatedAsIPv4() throws {
        let peer = try #require(InetAddress("::ffff:192.0.2.130"))
        #expect(enriched(EventHints(), clientAddress: peer).ip?.description == "192.0.2.0/24")
    }

    @Test func dropStoresNoAddress() throws {
        let dropping = Enricher(ipMode: .drop, secret: [])
        let peer = try #require(InetAddress("198.51.100.9"))
        #expect(enriched(EventHints(ip: "203.0.113.77"), clientAddress: peer, using: dropping).ip == nil)
    }

    @Test func hashStoresADailyPseudonym() throws {
        let secret = Array("a secret of at least sixteen bytes".utf8)
        let hashing = Enricher(ipMode: .hash, secret: secret)
        let midnight: Int64 = 1_773_446_400  // 2026-03-14T00:00:00Z
        let hints = EventHints(ip: "203.0.113.77")
        let early = enriched(hints, using: hashing, row: makeRow(receivedAt: midnight)).ip
        let late = enriched(hints, using: hashing, row: makeRow(receivedAt: midnight + 86_399)).ip
        let nextDay = enriched(hints, using: hashing, row: makeRow(receivedAt: midnight + 86_400)).ip
        let otherSecret = enriched(
            hints, using: Enricher(ipMode: .hash, secret: secret.reversed()), row: makeRow(receivedAt: midnight)
        ).ip
        let neighbour = enriched(EventHints(ip: "203.0.113.78"), using: hashing, row: makeRow(receivedAt: midnight)).ip
        let stored = try #require(early)
        #expect(stored.description.hasPrefix("fd00::"))
        #expect(!stored.description.contains("203.0.113"))
        #expect(late == early)
        #expect(nextDay != early)
        #expect(otherSecret != early)
        #expect(neighbour != early)
        // IPv6 and the mapped form of the same IPv4 address.
        let v6 = enriched(EventHints(ip: "2001:db8::1"), using: hashing).ip
        #expect(v6?.description.hasPrefix("fd00::") == true)
        #expect(
            enriched(EventHints(ip: "::ffff:203.0.113.77"), using: hashing, row: makeRow(receivedAt: midnight)).ip
                == early)
    }

    // MARK: the row as a whole

    @Test func replacesEarlierValuesAndLeavesOtherFieldsAlone() {
        var row = makeRow()
        row.event = "Viewed"
        row.properties = #"{"a":1}"#
        row.pagePath = "/stale"
        row.utmSource = "stale"
        row.browser = "stale"
        row.isBot = true
        row.country = "ZZ"
        let before = row
        enricher.enrich(&row, hints: EventHints(), clientAddress: nil, headerCountry: nil)
        #expect(row.pagePath == nil && row.utmSource == nil && row.browser == nil && row.country == nil)
        #expect(!row.isBot)
        #expect(row.event == before.event && row.properties == before.properties)
        #expect(row.messageID == before.messageID && row.receivedAt == before.receivedAt)
    }

    @Test func aTypicalPageCall() throws {
        let row = enriched(
            EventHints(
                pageURL:
                    "https://www.shop.example/products/42?utm_source=newsletter&utm_medium=email&utm_campaign=may%202026",
                referrer: "https://mail.google.com/",
                country: "gb",
                userAgent:
                    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/137.0.0.0 Safari/537.36 Edg/137.0.0.0",
                ip: "81.2.69.160"
            ),
            headerCountry: "FR"
        )
        #expect(row.pagePath == "/products/42")
        #expect(row.referrerHost == "mail.google.com")
        #expect(row.utmSource == "newsletter")
        #expect(row.utmMedium == "email")
        #expect(row.utmCampaign == "may 2026")
        #expect(row.country == "GB")
        #expect(row.browser == "Edge" && row.os == "Windows" && row.deviceType == "desktop" && !row.isBot)
        #expect(row.ip?.description == "81.2.69.0/24")
    }
}
