import SluiceCore
import SluiceExperiments

/// Seeded synthetic traffic for one experiment: people with page views, identify calls, "Experiment Viewed"
/// exposures (most naming the person's own variation, some another) and goal events before or after their
/// exposure; and, computed from what was generated alone, the counts the results must show.
public struct ExperimentTraffic: Sendable {
    /// One generated person and what their events say.
    public struct Person: Sendable {
        public var id: String
        /// `true` when the events carry `userId`, else only `anonymousId`.
        public var identified: Bool
        public var attributes: ExperimentAttributes
        /// What ``ExperimentDefinition/assign(_:)`` gives them (`nil`: outside the experiment).
        public var variant: Int?
        /// The variation each of their exposures names, in time order; `nil` entries name none.
        public var exposures: [Int?]
        /// Whether they did the goal event at or after their first exposure.
        public var convertsAfterExposure: Bool
    }

    public let people: [Person]
    public let rows: [EventRow]

    /// Generates `count` people of `projectID` for `definition`, their events timed from `start` (each person a
    /// millisecond apart) and received at `receivedAt`.
    ///
    /// Of the people: 2 in 3 are exposed; of those 1 in 12 send an exposure naming another variation as well (or
    /// a variation that does not exist); 1 in 3 of the exposed convert after the exposure, and 1 in 10 of all do
    /// the goal event before it (which alone does not count). 1 in 4 are anonymous only (`anonymousId`, no
    /// `userId`). Every person is from one of a few countries and browsers, and 1 in 2 identify with `plan` and
    /// `age` traits.
    public static func generate(
        projectID: Int64, definition: ExperimentDefinition, count: Int, seed: UInt64, start: Timestamp,
        receivedAt: Timestamp, idPrefix: String = "person"
    ) -> ExperimentTraffic {
        var random = SplitMix64(seed: seed)
        let countries = ["US", "DE", "FR", "BR", "JP"]
        let browsers = ["Chrome", "Firefox", "Safari"]
        let plans = ["free", "pro", "team"]
        var people: [Person] = []
        var rows: [EventRow] = []
        var message = 0
        func row(_ person: Person, _ type: EventType, event: String?, at time: Timestamp, properties: String? = nil,
            traits: String? = nil) -> EventRow
        {
            message += 1
            return EventRow(
                projectID: projectID, messageID: "\(idPrefix)-m\(message)", type: type, event: event,
                userID: person.identified ? person.id : nil,
                anonymousID: person.identified ? nil : person.id,
                timestamp: time, receivedAt: receivedAt, country: person.attributes.country,
                browser: person.attributes.browser, os: person.attributes.os, deviceType: person.attributes.device,
                properties: properties, traits: traits
            )
        }
        let variations = definition.variations.count
        for index in 0..<count {
            let identified = random.next() % 4 != 0
            let id = identified ? "\(idPrefix)-\(index)" : "\(idPrefix)-anon-\(index)"
            var traits: [String: JSONValue] = [:]
            let identifies = random.next() % 2 == 0
            let plan = plans[Int(random.next() % 3)]
            let age = Int(random.next() % 60) + 18
            if identifies {
                traits = ["plan": .string(plan), "age": .number(JSONNumber(Double(age))!)]
            }
            let attributes = ExperimentAttributes(
                userId: identified ? id : nil, anonymousId: identified ? nil : id,
                country: countries[Int(random.next() % 5)], browser: browsers[Int(random.next() % 3)], os: "Linux",
                device: "desktop", traits: traits
            )
            let assignment = definition.assign(attributes)
            var person = Person(
                id: id, identified: identified, attributes: attributes,
                variant: assignment.inExperiment ? assignment.variant : nil, exposures: [], convertsAfterExposure: false
            )
            let base = Timestamp(unixMicroseconds: start.unixMicroseconds + Int64(index) * 1_000)
            func at(_ seconds: Int64) -> Timestamp {
                Timestamp(unixMicroseconds: base.unixMicroseconds + seconds * 1_000_000)
            }
            if identifies {
                rows.append(row(person, .identify, event: nil, at: at(0), traits: #"{"plan":"\#(plan)","age":\#(age)}"#))
            }
            rows.append(row(person, .page, event: "Home", at: at(1)))
            let goalEvent = definition.goalEvent ?? "Order Completed"
            if random.next() % 10 == 0 {
                rows.append(row(person, .track, event: goalEvent, at: at(2)))
            }
            if random.next() % 3 != 0 {
                // Exposed: what the client shows is the person's own variation, or (for people outside) the
                // control, as GrowthBook's SDKs show the control to users not in the experiment.
                let shown = person.variant ?? 0
                person.exposures.append(shown)
                rows.append(row(person, .track, event: "Experiment Viewed", at: at(10), properties: exposure(definition.key, shown)))
                if random.next() % 12 == 0 {
                    let other: Int? = random.next() % 3 == 0 ? nil : (shown + 1) % variations
                    person.exposures.append(other)
                    let named = other.map { String($0) } ?? "99"
                    rows.append(
                        row(person, .track, event: "Experiment Viewed", at: at(20),
                            properties: #"{"experiment_id":"\#(definition.key)","variation_id":"\#(named)"}"#)
                    )
                }
                if random.next() % 3 == 0 {
                    person.convertsAfterExposure = true
                    rows.append(row(person, .track, event: goalEvent, at: at(30)))
                }
            }
            rows.append(row(person, .page, event: "Pricing", at: at(40)))
            people.append(person)
        }
        return ExperimentTraffic(people: people, rows: rows)
    }

    /// Properties of an exposure naming `variation`, as GrowthBook's Segment integration sends it (the
    /// variation's index as a number).
    public static func exposure(_ key: String, _ variation: Int) -> String {
        var text = #"{"experiment_id":"#
        JSONString.append(key, to: &text)
        text += #","variation_id":\#(variation),"variation_name":"v\#(variation)"}"#
        return text
    }

    /// The results' counts, from the generated people alone: the exposed people of each variation whose every
    /// exposure named it, and those of them who converted after their exposure.
    public func expectedCounts(variations: Int) -> [ConversionStatistic] {
        var users = Array(repeating: 0, count: variations)
        var converters = Array(repeating: 0, count: variations)
        for person in people {
            guard let variant = person.variant, !person.exposures.isEmpty,
                person.exposures.allSatisfy({ $0 == variant })
            else { continue }
            users[variant] += 1
            if person.convertsAfterExposure { converters[variant] += 1 }
        }
        return zip(users, converters).map { ConversionStatistic(users: $0, converters: $1) }
    }

    /// Assigned people with an exposure that named another variation (or none), per variation.
    public func expectedMismatches(variations: Int) -> [Int] {
        var mismatched = Array(repeating: 0, count: variations)
        for person in people {
            guard let variant = person.variant, person.exposures.contains(where: { $0 != variant }) else { continue }
            mismatched[variant] += 1
        }
        return mismatched
    }

    /// People outside the experiment who sent an exposure.
    public var expectedUnassignedExposures: Int {
        people.filter { $0.variant == nil && !$0.exposures.isEmpty }.count
    }
}
