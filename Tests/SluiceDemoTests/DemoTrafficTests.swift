import Foundation
import SluiceCore
import SluiceDemo
import SluiceExperiments
import SluiceSegment
import Testing

/// The demo traffic's shapes, recomputed from the events themselves.
@Suite struct DemoTrafficTests {
    static let now = Timestamp(unixMicroseconds: 1_795_000_000_000_000)
    static let shop = DemoTraffic(site: .shop, seed: 42, days: 7, now: now)
    static let blog = DemoTraffic(site: .blog, seed: 42, days: 7, now: now)

    /// A visit as the sessions job counts it: a person's events with no gap over 30 minutes.
    struct Visit {
        var events: [DemoEvent]
        var pageviews: Int { events.filter { $0.kind == .page }.count }
        var isBounce: Bool { pageviews == 1 && events.count == 1 }
    }

    static func visits(_ events: [DemoEvent]) -> [Visit] {
        var visits: [Visit] = []
        for person in Dictionary(grouping: events, by: \.personID).values {
            var current: [DemoEvent] = []
            for event in person.sorted(by: { $0.timestamp < $1.timestamp }) {
                if let last = current.last,
                    event.timestamp.unixMicroseconds - last.timestamp.unixMicroseconds > 30 * 60 * 1_000_000
                {
                    visits.append(Visit(events: current))
                    current = []
                }
                current.append(event)
            }
            if !current.isEmpty { visits.append(Visit(events: current)) }
        }
        return visits
    }

    @Test func theSameSeedGivesTheSameTrafficAndAnotherSeedOther() {
        let again = DemoTraffic(site: .shop, seed: 42, days: 7, now: Self.now)
        #expect(again.events.map(\.json) == Self.shop.events.map(\.json))
        let other = DemoTraffic(site: .shop, seed: 43, days: 7, now: Self.now)
        #expect(other.events.first?.messageID != Self.shop.events.first?.messageID)
        #expect(Set(Self.shop.events.map(\.messageID)).count == Self.shop.events.count)
        #expect(Set(Self.shop.events.map(\.messageID)).isDisjoint(with: Self.blog.events.map(\.messageID)))
    }

    @Test func eventsAreInTimeOrderInsideTheSpan() throws {
        for traffic in [Self.shop, Self.blog] {
            let times = traffic.events.map(\.timestamp.unixMicroseconds)
            #expect(times == times.sorted())
            let first = try #require(times.first)
            let last = try #require(times.last)
            #expect(first >= DemoTraffic.start(days: 7, now: Self.now).unixMicroseconds)
            #expect(last <= Self.now.unixMicroseconds)
        }
    }

    /// Every batch passes Sluice's own Segment decoder whole, and what it decodes is what the generator says.
    @Test func batchesAreValidSegmentJSON() throws {
        let decoder = SegmentDecoder()
        for traffic in [Self.shop, Self.blog] {
            for start in stride(from: 0, to: traffic.events.count, by: 200) {
                let chunk = traffic.events[start..<min(start + 200, traffic.events.count)]
                let body = DemoEvent.batch(chunk)
                #expect(try JSONSerialization.jsonObject(with: Data(body)) is [String: Any])
                let batch = try decoder.decode(
                    body, call: .batch, projectID: 1, receivedAt: Self.now, newMessageID: { "generated" }
                )
                #expect(batch.rejected.isEmpty, "\(batch.rejected)")
                try #require(batch.events.count == chunk.count)
                for (event, decoded) in zip(chunk, batch.events.map(\.row)) {
                    #expect(decoded.messageID == event.messageID)
                    #expect(decoded.type.rawValue == event.kind.rawValue)
                    #expect(decoded.timestamp == event.timestamp)
                    #expect((decoded.userID ?? decoded.anonymousID) == event.personID)
                    if event.kind == .track { #expect(decoded.event == event.name) }
                }
            }
        }
    }

    /// Zipf's popularity curve: the top page takes the most views, the top three a large share, the tail the rest.
    @Test func pageViewsFollowThePopularityCurve() {
        for traffic in [Self.shop, Self.blog] {
            let views = Dictionary(grouping: traffic.events.filter { $0.kind == .page }, by: \.path).mapValues(\.count)
            let total = views.values.reduce(0, +)
            let ranked = traffic.site.pages.map { views[$0.path] ?? 0 }
            #expect(ranked[0] == views.values.max())
            #expect(ranked[0] > 2 * ranked[3])
            #expect(Double(ranked.prefix(3).reduce(0, +)) / Double(total) > 0.35)
            #expect(ranked.allSatisfy { $0 > 0 }, "every page is seen")
        }
    }

    @Test func visitsHaveSeveralPageviewsOrBounce() {
        for traffic in [Self.shop, Self.blog] {
            let visits = Self.visits(traffic.events)
            let bounceShare = Double(visits.filter(\.isBounce).count) / Double(visits.count)
            // The site's bounce share, plus crawlers (about 4%, all single-page) and a few visits of one person
            // that meet within 30 minutes and count as one.
            #expect(abs(bounceShare - traffic.site.bounceShare) < 0.08, "\(bounceShare)")
            let longer = visits.filter { !$0.isBounce }
            let meanPageviews = Double(longer.map(\.pageviews).reduce(0, +)) / Double(longer.count)
            #expect(meanPageviews > 2.5, "\(meanPageviews)")
            // People come back: more visits than visitors.
            #expect(visits.count > Set(traffic.events.map(\.personID)).count)
        }
    }

    @Test func trafficHasItsSourcesAndAudience() {
        let events = Self.shop.events + Self.blog.events
        #expect(Set(events.compactMap(\.referrerHost)).count >= 5)
        #expect(Set(events.compactMap(\.campaign?.name)).count >= 4)
        #expect(Set(events.map(\.country)).count >= 10)
        #expect(Set(events.map(\.browser)).isSuperset(of: ["Chrome", "Safari", "Firefox", "Edge"]))
        #expect(Set(events.map(\.deviceType)).isSuperset(of: ["desktop", "mobile", "tablet"]))
        #expect(events.contains { $0.name == "Order Completed" })
        #expect(events.contains { $0.name == "Newsletter Subscribed" })
    }

    /// Afternoons are busier than nights, in the visitor's local time; the blog is quieter at weekends.
    @Test func daysAndHoursHaveTheirRhythm() {
        var byHour = [Int](repeating: 0, count: 24)
        for event in Self.shop.events {
            byHour[Int((event.timestamp.unixMicroseconds / 3_600_000_000) % 24)] += 1
        }
        #expect(byHour.max()! > 2 * byHour.min()!, "\(byHour)")

        let blog = DemoTraffic(site: .blog, seed: 9, days: 28, now: Self.now)
        var weekday = 0
        var weekend = 0
        for event in blog.events where event.kind == .page {
            // 1970-01-01 was a Thursday: days 2 and 3 of each week are Saturday and Sunday.
            let day = (event.timestamp.unixMicroseconds / 86_400_000_000) % 7
            if day == 2 || day == 3 { weekend += 1 } else { weekday += 1 }
        }
        let ratio = (Double(weekend) / 2) / (Double(weekday) / 5)
        #expect(ratio < 0.8, "a weekend day has \(ratio) of a weekday's page views")
    }

    /// The exposures name the variation GrowthBook's bucketing gives each person, and the treatment converts more:
    /// computed the way the results count it (a goal event at or after the person's first exposure).
    @Test func theExperimentsTreatmentWins() throws {
        let experiment = try #require(DemoSite.shop.experiment)
        let definition = experiment.definition
        var firstExposure: [String: (variation: Int, time: Timestamp)] = [:]
        for event in Self.shop.events where event.name == "Experiment Viewed" {
            let variation = try #require(event.variation)
            #expect(definition.assign(ExperimentAttributes(userId: event.personID)).variant == variation)
            if firstExposure[event.personID] == nil { firstExposure[event.personID] = (variation, event.timestamp) }
        }
        var converted = Set<String>()
        for event in Self.shop.events where event.name == definition.goalEvent {
            if let exposure = firstExposure[event.personID], event.timestamp >= exposure.time {
                converted.insert(event.personID)
            }
        }
        var users = [0, 0]
        var converters = [0, 0]
        for (person, exposure) in firstExposure {
            users[exposure.variation] += 1
            if converted.contains(person) { converters[exposure.variation] += 1 }
        }
        #expect(users.allSatisfy { $0 > 300 }, "\(users)")
        // An even split (the sample-ratio check would flag anything else).
        #expect(abs(Double(users[0]) / Double(users[0] + users[1]) - 0.5) < 0.05)
        let rates = zip(converters, users).map { Double($0) / Double($1) }
        #expect(rates[1] > 1.5 * rates[0], "control \(rates[0]), treatment \(rates[1])")
        // The blog runs none.
        #expect(!Self.blog.events.contains { $0.name == "Experiment Viewed" })
    }
}
