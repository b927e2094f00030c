import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

@testable import SluiceEnrichment

/// Feeds the enricher random bytes, token soup built from the delimiters the parsers look for, and 100 KB strings,
/// and checks that it neither traps nor stores anything outside the columns' rules.
@Suite struct EnrichmentRobustnessTests {
    /// Fragments that steer the parsers into their edge cases when glued together at random.
    private static let fragments = [
        "http", "https://", "//", ":", "/", "?", "#", "&", "=", "+", "%", "%4", "%41", "%00", "%FF", "%C3%A9", "@",
        "[", "]", "::", "www.", ".", "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "bot",
        "spider", "crawler", "+http", "Chrome/", "Safari/", "Edg/", "iPad", "iPhone", "Android", "Mobile",
        "Mozilla/5.0",
        "(", ")", ";", " ", "é", "😀", "\u{0}", "\u{FFFD}", "255.", "1", "ffff", "XX", "de", "Googlebot", "CrOS",
    ]

    private static func randomBytes(_ generator: inout SplitMix64, maximumLength: Int) -> String {
        let length = Int.random(in: 0...maximumLength, using: &generator)
        let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func tokenSoup(_ generator: inout SplitMix64, maximumCount: Int) -> String {
        let count = Int.random(in: 0...maximumCount, using: &generator)
        return (0..<count).map { _ in fragments.randomElement(using: &generator)! }.joined()
    }

    private static func randomHints(_ generator: inout SplitMix64) -> EventHints {
        func value() -> String? {
            switch Int.random(in: 0..<4, using: &generator) {
            case 0: return nil
            case 1: return randomBytes(&generator, maximumLength: 64)
            default: return tokenSoup(&generator, maximumCount: 24)
            }
        }
        return EventHints(
            pageURL: value(), pagePath: value(), referrer: value(), search: value(), campaignSource: value(),
            campaignMedium: value(), campaignName: value(), campaignTerm: value(), campaignContent: value(),
            country: value(), userAgent: value(), ip: value()
        )
    }

    /// What every enriched row must satisfy, whatever the input.
    private static func checkInvariants(_ row: EventRow, mode: IPMode) {
        for text in [row.pagePath, row.utmSource, row.utmMedium, row.utmCampaign, row.utmTerm, row.utmContent] {
            if let text {
                #expect(text.utf8.count <= Enricher.maximumTextBytes)
                #expect(!text.utf8.contains(0))
            }
        }
        if let path = row.pagePath {
            #expect(!path.isEmpty)
            #expect(!path.utf8.contains(UInt8(ascii: "?")) && !path.utf8.contains(UInt8(ascii: "#")))
        }
        for text in [row.utmSource, row.utmMedium, row.utmCampaign, row.utmTerm, row.utmContent] {
            if let text {
                #expect(!text.isEmpty)
            }
        }
        if let host = row.referrerHost {
            #expect(!host.isEmpty && host.utf8.count <= PageURL.maximumHostLength)
            #expect(host == host.lowercased() || host.utf8.contains { $0 >= 0x80 })
            #expect(!host.hasPrefix("www."))
        }
        if let country = row.country {
            #expect(country.utf8.count == 2 && country.utf8.allSatisfy { $0 >= 0x41 && $0 <= 0x5A })
            #expect(country != "XX")
        }
        if let device = row.deviceType {
            #expect(["desktop", "mobile", "tablet", "bot"].contains(device))
            #expect((device == "bot") == row.isBot)
        } else {
            #expect(!row.isBot && row.browser == nil && row.os == nil)
        }
        switch mode {
        case .drop:
            #expect(row.ip == nil)
        case .truncate:
            if let ip = row.ip {
                #expect(ip.prefixLength <= (ip.family == .v4 ? 24 : 48))
                #expect(ip.bytes[Int(ip.family == .v4 ? 3 : 6)...].allSatisfy { $0 == 0 })
            }
        case .hash:
            if let ip = row.ip {
                #expect(ip.family == .v6 && ip.prefixLength == 128)
                #expect(Array(ip.bytes[0..<8]) == [0xfd, 0, 0, 0, 0, 0, 0, 0])
            }
        }
    }

    @Test(arguments: IPMode.allCases)
    func randomInputsNeverTrap(_ mode: IPMode) {
        var generator = SplitMix64(seed: 0x51_1CE0 &+ UInt64(mode.rawValue.utf8.count))
        let enricher = Enricher(ipMode: mode, secret: Array(repeating: 7, count: 16))
        for _ in 0..<3_000 {
            var row = makeRow(receivedAt: Int64.random(in: -10_000_000...4_000_000_000, using: &generator))
            let hints = Self.randomHints(&generator)
            let peer = Bool.random(using: &generator) ? InetAddress("2001:db8::7") : nil
            enricher.enrich(&row, hints: hints, clientAddress: peer, headerCountry: hints.search)
            Self.checkInvariants(row, mode: mode)
        }
    }

    @Test func randomBytesThroughEveryParser() {
        var generator = SplitMix64(seed: 42)
        for _ in 0..<5_000 {
            let text =
                Bool.random(using: &generator)
                ? Self.randomBytes(&generator, maximumLength: 300) : Self.tokenSoup(&generator, maximumCount: 40)
            let agent = UserAgentParser.parse(text)
            #expect(["desktop", "mobile", "tablet", "bot"].contains(agent.deviceType))
            #expect(agent.isBot == (agent.deviceType == "bot"))

            let url = PageURL(text)
            if let url {
                // Path and query are pieces of the URL as given.
                #expect(url.path == "/" || Self.bytes(of: text, contain: url.path))
                if let query = url.query {
                    #expect(!query.isEmpty && Self.bytes(of: text, contain: "?" + query))
                } else {
                    #expect(url.campaign == nil && url.queryValue("utm_source") == nil)
                }
                if let host = url.host {
                    #expect(!host.isEmpty && host.utf8.count <= PageURL.maximumHostLength)
                    #expect(!host.hasPrefix("www.") && !host.hasSuffix("."))
                    #expect(host.utf8.allSatisfy { !(0x41...0x5A).contains($0) }, "host not in lower case: \(host)")
                }
                Self.checkCampaign(url.campaign)
                // The campaign's source is the query's first utm_source that has a value.
                if let source = url.queryValue("utm_source"), !source.isEmpty {
                    #expect(url.campaign?.source == source)
                }
            }
            // A referrer's host is the URL's host, and a page never refers to itself.
            #expect(PageURL.referrerHost(text, pageHost: nil) == url?.host)
            if let host = url?.host {
                #expect(PageURL.referrerHost(text, pageHost: host) == nil, "\(text.debugDescription)")
            }

            let campaign = Campaign(search: text)
            Self.checkCampaign(campaign)
            if !text.hasPrefix("?") {
                #expect(Campaign(search: "?" + text) == campaign, "a leading ? changes nothing")
            }

            // A country is two ASCII letters, upper-cased, after trimming spaces and tabs; XX and ZZ mean none.
            let trimmed = text.trimmingCharacters(in: CharacterSet(charactersIn: " \t"))
            let isCode = trimmed.utf8.count == 2 && trimmed.utf8.allSatisfy { (0x61...0x7A).contains($0 | 0x20) }
            let code = isCode && !["XX", "ZZ"].contains(trimmed.uppercased()) ? trimmed.uppercased() : nil
            #expect(CountryCode.normalized(text) == code, "\(Array(text.utf8))")

            // An address found in the text is one: its own text form reads back as the same address.
            if let address = Enricher.address(text) {
                #expect(InetAddress(address.description) == address, "\(text)")
            }
        }
    }

    /// Whether the UTF-8 bytes of `text` hold those of `part` somewhere (bytes, not characters: a slice cut at an
    /// ASCII delimiter may start inside what `String` would see as one grapheme).
    private static func bytes(of text: String, contain part: String) -> Bool {
        let haystack = Array(text.utf8)
        let needle = Array(part.utf8)
        guard needle.count <= haystack.count else { return false }
        return (0...(haystack.count - needle.count)).contains { haystack[$0..<$0 + needle.count].elementsEqual(needle) }
    }

    /// What every UTM campaign must satisfy: `nil`, or at least one parameter, each one non-empty.
    private static func checkCampaign(_ campaign: Campaign?) {
        guard let campaign else { return }
        #expect(!campaign.isEmpty)
        for value in [campaign.source, campaign.medium, campaign.name, campaign.term, campaign.content] {
            if let value { #expect(!value.isEmpty) }
        }
    }

    @Test func hundredKilobyteStrings() {
        let size = 100 * 1024
        let long = [
            String(repeating: "a", count: size),
            String(repeating: "%", count: size),
            String(repeating: "%4", count: size / 2),
            String(repeating: "+", count: size),
            String(repeating: "bot", count: size / 3),
            String(repeating: "é", count: size / 2),
            "https://" + String(repeating: "a", count: size) + "/",
            "https://example.com/" + String(repeating: "x/", count: size / 2),
            "https://example.com/?" + String(repeating: "utm_source=&", count: size / 12),
            "?" + String(repeating: "utm_campaign=" + String(repeating: "z", count: 100) + "&", count: size / 114),
            "Mozilla/5.0 (" + String(repeating: "Chrome/ ", count: size / 8) + ")",
            String(repeating: "1", count: size),
            String(repeating: ":", count: size),
        ]
        for mode in IPMode.allCases {
            let enricher = Enricher(ipMode: mode, secret: [1, 2, 3])
            for text in long {
                var row = makeRow()
                let hints = EventHints(
                    pageURL: text, pagePath: text, referrer: text, search: text, campaignSource: text,
                    campaignMedium: text, campaignName: text, campaignTerm: text, campaignContent: text,
                    country: text, userAgent: text, ip: text
                )
                enricher.enrich(&row, hints: hints, clientAddress: nil, headerCountry: text)
                Self.checkInvariants(row, mode: mode)
            }
        }
        // A valid URL whose campaign is 100 KB long is stored capped, not dropped.
        var row = makeRow()
        Enricher(secret: []).enrich(
            &row, hints: EventHints(pageURL: "https://example.com/?utm_source=" + long[0]), clientAddress: nil,
            headerCountry: nil
        )
        #expect(row.utmSource?.utf8.count == Enricher.maximumTextBytes)
        #expect(row.pagePath == "/")
    }
}
