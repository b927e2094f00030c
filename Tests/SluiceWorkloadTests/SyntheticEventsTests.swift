import Foundation
import SluiceCore
import SluiceEnrichment
import SluiceSegment
import Testing

@testable import SluiceWorkload

/// 2025-06-15T12:00:00Z, a fixed `now` so the tests do not depend on the clock.
private let now = Timestamp(unixMicroseconds: 1_749_988_800_000_000)

/// One shared sample, generated once: most properties are checked over the same 100,000 rows.
private let sample: [EventRow] = {
    var events = SyntheticEvents(projectID: 7, seed: 42, now: now)
    return events.rows(100_000)
}()

@Suite struct SyntheticEventsTests {
    @Test func sameSeedGivesSameRows() {
        var first = SyntheticEvents(projectID: 1, seed: 99, now: now)
        var second = SyntheticEvents(projectID: 1, seed: 99, now: now)
        #expect(first.rows(2_000) == second.rows(2_000))
    }

    @Test func differentSeedsGiveDifferentRows() {
        var first = SyntheticEvents(projectID: 1, seed: 1, now: now)
        var second = SyntheticEvents(projectID: 1, seed: 2, now: now)
        let a = first.rows(500)
        let b = second.rows(500)
        #expect(a != b)
        #expect(Set(a.map(\.messageID)).isDisjoint(with: b.map(\.messageID)))
    }

    @Test func nextAndRowsProduceOneStream() {
        var one = SyntheticEvents(projectID: 3, seed: 5, now: now)
        var other = one
        let batch = one.rows(100)
        let singles = (0..<100).map { _ in other.next() }
        #expect(batch == singles)
    }

    @Test func messageIDsAreUniqueUUIDs() {
        let ids = sample.map(\.messageID)
        #expect(Set(ids).count == ids.count)
        #expect(ids.prefix(1_000).allSatisfy { UUID(uuidString: $0) != nil && $0 == $0.lowercased() })
    }

    @Test func everyRowHasProjectAndAnIdentity() {
        #expect(sample.allSatisfy { $0.projectID == 7 })
        #expect(sample.allSatisfy { $0.userID != nil || $0.anonymousID != nil })
    }

    @Test func jsonColumnsParseAsObjects() throws {
        var checked = 0
        for row in sample {
            for text in [row.properties, row.traits, row.context] {
                guard let text else { continue }
                let parsed = try JSONSerialization.jsonObject(with: Data(text.utf8))
                #expect(parsed is [String: Any], "not an object: \(text)")
                checked += 1
            }
            #expect(row.context != nil)
        }
        #expect(checked > 150_000)
    }

    @Test func jsonEscapingRoundTrips() throws {
        let tricky = "quote \" backslash \\ newline \n tab \t bell \u{07} café 日本語 🎉"
        var writer = JSONWriter(capacity: 64)
        writer.beginObject()
        writer.string("value", tricky)
        writer.decimal("price", cents: 1_905)
        writer.decimal("cheap", cents: 7)
        writer.endObject()
        #expect(writer.text.contains(#""price":19.05,"cheap":0.07"#))
        let parsed = try #require(JSONSerialization.jsonObject(with: Data(writer.text.utf8)) as? [String: Any])
        #expect(parsed["value"] as? String == tricky)
    }

    @Test func generatedTextNeedsEscapingSometimes() {
        // The vocabulary includes quotes, backslashes and non-ASCII text so encoders meet them.
        let json = sample.prefix(20_000).compactMap(\.properties)
        #expect(json.contains { $0.contains(#"\""#) })
        #expect(json.contains { $0.contains(#"\\"#) })
        #expect(json.contains { $0.utf8.count != $0.unicodeScalars.count })
    }

    @Test func typeMixIsRealistic() {
        var counts: [EventType: Int] = [:]
        for row in sample { counts[row.type, default: 0] += 1 }
        func share(_ type: EventType) -> Double { Double(counts[type, default: 0]) / Double(sample.count) }
        #expect((0.55...0.66).contains(share(.page)), "page \(share(.page))")
        #expect((0.25...0.35).contains(share(.track)), "track \(share(.track))")
        #expect((0.05...0.09).contains(share(.identify)), "identify \(share(.identify))")
        let rest = share(.screen) + share(.group) + share(.alias)
        #expect((0.015...0.05).contains(rest), "screen/group/alias \(rest)")
        for type in [EventType.screen, .group, .alias] {
            #expect(counts[type, default: 0] > 0, "no \(type) rows")
        }
    }

    @Test func averageJSONSizeIsTypical() {
        let average = SyntheticEvents.averageJSONBytes(of: sample)
        #expect((300...500).contains(average), "average \(average) bytes")
        #expect(SyntheticEvents.averageJSONBytes(of: []) == 0)
    }

    @Test(arguments: [1, 7, 30])
    func timestampsFallWithinTheSpan(days: Int) {
        var events = SyntheticEvents(projectID: 1, seed: 3, days: days, now: now)
        let rows = events.rows(20_000)
        let earliest = now.unixMicroseconds - Int64(days) * 86_400_000_000
        #expect(rows.allSatisfy { (earliest...now.unixMicroseconds).contains($0.timestamp.unixMicroseconds) })
        #expect(rows.allSatisfy { $0.receivedAt > $0.timestamp })
        #expect(rows.allSatisfy { $0.receivedAt.unixMicroseconds - $0.timestamp.unixMicroseconds < 10_000_000 })
        #expect(rows.allSatisfy { sent in sent.sentAt.map { $0 >= sent.timestamp && $0 <= sent.receivedAt } ?? true })
        // Spread over the span, not bunched at one end, and carrying sub-second digits.
        let touchedDays = Set(rows.map(\.timestamp.unixDay))
        #expect(touchedDays.count >= days)
        #expect(rows.contains { $0.timestamp.unixMicroseconds % 1_000 != 0 })
    }

    @Test func timestampsSpreadOverEveryDay() {
        let first = now.unixMicroseconds - 7 * 86_400_000_000
        let buckets = Set(sample.map { ($0.timestamp.unixMicroseconds - first) / 86_400_000_000 })
        #expect(buckets == Set(0..<7))
        #expect(Double(sample.filter { $0.sentAt != nil }.count) / Double(sample.count) > 0.85)
    }

    @Test func trackRowsHaveEventNames() {
        let tracks = sample.filter { $0.type == .track }
        #expect(tracks.allSatisfy { $0.event?.isEmpty == false })
        let names = Set(tracks.compactMap(\.event))
        for expected in ["Signed Up", "Order Completed", "Product Viewed", "Experiment Viewed"] {
            #expect(names.contains(expected))
        }
    }

    @Test func experimentExposuresFollowSegmentsSpec() throws {
        let exposure = try #require(sample.first { $0.event == "Experiment Viewed" })
        let text = try #require(exposure.properties)
        let properties = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        for key in ["experiment_id", "experiment_name", "variation_id", "variation_name"] {
            #expect(properties[key] != nil, "missing \(key)")
        }
    }

    @Test func typeSpecificColumns() {
        for row in sample {
            switch row.type {
            case .identify, .group:
                #expect(row.traits != nil && row.properties == nil)
            case .track, .page, .screen:
                #expect(row.properties != nil && row.traits == nil)
            case .alias:
                #expect(row.previousID != nil && row.userID != nil)
            }
            if row.type == .group { #expect(row.groupID != nil) }
        }
    }

    @Test func botsAreFlaggedConsistently() {
        let bots = sample.filter(\.isBot)
        let share = Double(bots.count) / Double(sample.count)
        #expect((0.005...0.08).contains(share), "bot share \(share)")
        #expect(bots.allSatisfy { $0.deviceType == "bot" && $0.type == .page && $0.userID == nil })
        #expect(sample.allSatisfy { !($0.deviceType == "bot") || $0.isBot })
        let botAgents = Set(bots.compactMap(\.context).compactMap(userAgent(in:)))
        #expect(botAgents.allSatisfy { $0.contains("bot") || $0.contains("Headless") })
    }

    /// The synthetic columns are what ingest's own parser makes of the user agent, so benchmark rows and
    /// ingested rows spell browsers and systems alike.
    @Test func browserColumnsMatchTheUserAgent() {
        var mismatches: Set<String> = []
        for row in sample.prefix(20_000) {
            guard let context = row.context, let agent = userAgent(in: context) else { continue }
            let parsed = UserAgentParser.parse(agent)
            if parsed.browser != row.browser || parsed.os != row.os || parsed.deviceType != row.deviceType
                || parsed.isBot != row.isBot
            {
                mismatches.insert(
                    "\(agent): table \(row.browser ?? "nil")/\(row.os ?? "nil")/\(row.deviceType ?? "nil")/\(row.isBot), "
                        + "parser \(parsed.browser ?? "nil")/\(parsed.os ?? "nil")/\(parsed.deviceType)/\(parsed.isBot)"
                )
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.sorted().joined(separator: "\n"))")
        let types = Set(sample.compactMap(\.deviceType))
        #expect(types == ["desktop", "mobile", "tablet", "bot"])
    }

    @Test func addressesAreTruncated() {
        let addresses = sample.compactMap(\.ip)
        #expect(addresses.count > sample.count * 9 / 10)
        let v4 = addresses.filter { $0.family == .v4 }
        let v6 = addresses.filter { $0.family == .v6 }
        #expect(!v4.isEmpty && !v6.isEmpty)
        #expect(v4.allSatisfy { $0.prefixLength == 24 && $0.bytes[3] == 0 })
        #expect(v6.allSatisfy { $0.prefixLength == 48 && $0.bytes[6...].allSatisfy { $0 == 0 } })
    }

    @Test func webColumnsAreFilled() {
        let pages = sample.filter { $0.type == .page }
        #expect(pages.allSatisfy { $0.pagePath?.hasPrefix("/") == true })
        let paths = Set(pages.compactMap(\.pagePath))
        #expect(paths.contains("/") && paths.contains("/pricing"))
        #expect(paths.contains { $0.hasPrefix("/blog/") } && paths.contains { $0.hasPrefix("/docs/") })
        #expect(paths.contains { $0.hasPrefix("/products/") })
        let hosts = Set(sample.compactMap(\.referrerHost))
        #expect(hosts.isSuperset(of: ["google.com", "news.ycombinator.com", "t.co"]))
        let withoutReferrer = pages.filter { $0.referrerHost == nil }.count
        #expect(withoutReferrer > pages.count / 10)
        let tagged = sample.filter { $0.utmSource != nil }
        #expect(!tagged.isEmpty && tagged.count < sample.count / 5)
        #expect(tagged.allSatisfy { $0.utmMedium != nil && $0.utmCampaign != nil })
        #expect(tagged.allSatisfy { $0.context?.contains(#""campaign":{"#) == true })
        let countries = sample.compactMap(\.country)
        #expect(countries.allSatisfy { $0.count == 2 && $0 == $0.uppercased() })
        #expect(countries.filter { $0 == "US" }.count > countries.count / 5)
    }

    @Test func usersRepeatAcrossRows() {
        let anonymous = Set(sample.compactMap(\.anonymousID))
        #expect((1_000...3_000).contains(anonymous.count), "\(anonymous.count) visitors")
        #expect(anonymous.allSatisfy { UUID(uuidString: $0) != nil })
        let identified = Set(sample.compactMap(\.userID))
        #expect(identified.count > 300)
    }

    private func userAgent(in context: String) -> String? {
        guard
            let object = try? JSONSerialization.jsonObject(with: Data(context.utf8)) as? [String: Any]
        else { return nil }
        return object["userAgent"] as? String
    }
}

/// The Segment JSON of synthetic rows decodes back into the same rows.
@Suite struct SegmentEventJSONTests {
    @Test func syntheticEventsSurviveTheSegmentDecoder() throws {
        var events = SyntheticEvents(projectID: 3, seed: 11, now: Timestamp(unixMicroseconds: 1_795_000_000_000_000))
        let rows = events.rows(2_000)
        let decoder = SegmentDecoder()
        for chunk in stride(from: 0, to: rows.count, by: 100).map({ rows[$0..<min($0 + 100, rows.count)] }) {
            let body = SegmentEventJSON.batch(chunk)
            // With receivedAt = sentAt, the skew correction leaves the given time as it is.
            let batch = try decoder.decode(
                body, call: .batch, projectID: 3, receivedAt: chunk.first?.sentAt ?? Timestamp(unixMicroseconds: 0),
                newMessageID: { "generated" }
            )
            #expect(batch.rejected.isEmpty, "\(batch.rejected)")
            #expect(batch.events.count == chunk.count)
            for (original, decoded) in zip(chunk, batch.events.map(\.row)) {
                #expect(decoded.messageID == original.messageID)
                #expect(decoded.type == original.type)
                #expect(decoded.event == original.event)
                #expect(decoded.userID == original.userID)
                #expect(decoded.anonymousID == original.anonymousID)
                #expect(decoded.properties == original.properties)
                #expect(decoded.traits == original.traits)
                #expect(decoded.sentAt?.unixMicroseconds == original.sentAt.map { $0.unixMicroseconds / 1000 * 1000 })
            }
        }
        #expect(Timestamp(unixMicroseconds: 1_795_000_123_456_789).iso8601(fractionDigits: 3) == "2026-11-18T11:08:43.456Z")
    }
}
