import SluiceCore
import SluiceExperiments
import SluiceExperimentsStore
import SluicePostgres
import SluiceTestSupport
import Testing

/// The assignments job against real events in a real PostgreSQL: what it writes equals what the pure rules say
/// for the generated people, a second run writes nothing, a later run writes only what is new.
@Suite struct AssignmentsJobTests {
    static let file = """
        {"key":"checkout-v2","variations":["control","treatment","bold"],"weights":[0.4,0.3,0.3],
         "hashVersion":2,"goalEvent":"Order Completed"}
        """

    /// The variant, first exposure and mismatch each generated person must have.
    static func check(
        _ rows: [String: [String?]], against traffic: ExperimentTraffic, _ comment: Comment? = nil
    ) {
        for person in traffic.people {
            let row = rows[person.id]
            guard let variant = person.variant else {
                #expect(row == nil, "\(person.id) is outside the experiment")
                continue
            }
            guard let row else {
                Issue.record("\(person.id) was not assigned")
                continue
            }
            #expect(row[0] == String(variant), "\(person.id)")
            #expect((row[2] != nil) == !person.exposures.isEmpty, "\(person.id): first exposure")
            let mismatched = person.exposures.contains { $0 != variant }
            #expect((row[3] != nil) == mismatched, "\(person.id): mismatch")
            if mismatched, let named = person.exposures.first(where: { $0 != variant }) {
                #expect(row[4] == named.map { String($0) }, "\(person.id): the mismatching variation")
            }
        }
    }

    @Test func assignsEveryoneOnceAndASecondRunTouchesNothing() throws {
        let database = try ExperimentsDatabase("jobidempotent")
        let definition = try database.save(Self.file).experiment.definition
        let traffic = ExperimentTraffic.generate(
            projectID: database.projectID, definition: definition, count: 600, seed: 12, start: .now(),
            receivedAt: .now()
        )
        _ = try database.connection.copyEvents(traffic.rows)

        let first = try database.run()
        let rows = try database.assignments("checkout-v2")
        Self.check(rows, against: traffic)
        #expect(rows.count == traffic.people.count, "coverage 1 and no targeting: everyone is in")
        let exposed = traffic.people.filter { !$0.exposures.isEmpty }.count
        let mismatched = traffic.expectedMismatches(variations: 3).reduce(0, +)
        #expect(mismatched > 0 && exposed > mismatched)
        #expect(first.summary?.contains("assigned 600, exposed \(exposed), mismatched \(mismatched)") == true)
        let identified = traffic.people.filter { !$0.attributes.traits.isEmpty }.count
        #expect(first.rowsTouched == 600 + identified, "600 assignments and the traits")

        let second = try database.run()
        #expect(second.rowsTouched == 0, "\(second.summary ?? "")")
        #expect(try database.assignments("checkout-v2") == rows)
    }

    @Test func aLaterRunTouchesOnlyThePeopleAndExposuresThatAreNew() throws {
        let database = try ExperimentsDatabase("jobincremental")
        let definition = try database.save(Self.file).experiment.definition
        let start = Timestamp.now()
        let old = ExperimentTraffic.generate(
            projectID: database.projectID, definition: definition, count: 300, seed: 5, start: start, receivedAt: .now()
        )
        _ = try database.connection.copyEvents(old.rows)
        try database.run()
        let before = try database.assignments("checkout-v2")
        let unexposed = try #require(old.people.first { $0.variant != nil && $0.exposures.isEmpty })

        // New people, more events of old ones, and a first exposure of an old unexposed person, received now.
        let new = ExperimentTraffic.generate(
            projectID: database.projectID, definition: definition, count: 100, seed: 6, start: .now(),
            receivedAt: .now(), idPrefix: "late"
        )
        var rows = new.rows
        for person in old.people.prefix(50) {
            rows.append(
                EventRow(
                    projectID: database.projectID, messageID: "again-\(person.id)", type: .page, event: "Again",
                    userID: person.identified ? person.id : nil, anonymousID: person.identified ? nil : person.id,
                    timestamp: .now(), receivedAt: .now(), country: "DE"
                )
            )
        }
        rows.append(
            EventRow(
                projectID: database.projectID, messageID: "exposure-\(unexposed.id)", type: .track,
                event: "Experiment Viewed", userID: unexposed.identified ? unexposed.id : nil,
                anonymousID: unexposed.identified ? nil : unexposed.id, timestamp: .now(), receivedAt: .now(),
                properties: ExperimentTraffic.exposure("checkout-v2", try #require(unexposed.variant))
            )
        )
        _ = try database.connection.copyEvents(rows)
        let later = try database.run()

        let after = try database.assignments("checkout-v2")
        Self.check(after, against: new)
        for (person, row) in before where person != unexposed.id {
            #expect(after[person] == row, "\(person) was not touched")
        }
        #expect(after[unexposed.id]?[2] != nil, "the old person's first exposure is recorded")
        #expect(after[unexposed.id]?[5] == before[unexposed.id]?[5], "and the row is not assigned again")
        let newTraits = new.people.filter { !$0.attributes.traits.isEmpty }.count
        #expect(later.rowsTouched == Int(new.people.count + newTraits + 1), "\(later.summary ?? "")")
    }

    @Test func eventsLoadedLateAreReadWithinTheLookbackOnly() throws {
        let database = try ExperimentsDatabase("joblate")
        try database.save(#"{"key":"late","variations":["a","b"]}"#)
        try database.run()
        let watermark = try #require(
            try database.connection.query(
                "SELECT (extract(epoch FROM received_through) * 1000000)::bigint FROM experiments.assignment_watermarks"
            ).int(0, 0)
        )
        func page(_ person: String, receivedBefore seconds: Int64) -> EventRow {
            EventRow(
                projectID: database.projectID, messageID: "m-\(person)", type: .page, userID: person, timestamp: .now(),
                receivedAt: Timestamp(unixMicroseconds: Int64(watermark) - seconds * 1_000_000)
            )
        }
        // Committed after the run had passed their received_at: one a minute before the watermark, one an hour.
        _ = try database.connection.copyEvents([page("minute", receivedBefore: 60), page("hour", receivedBefore: 3600)])
        try database.run(AssignmentsJob(settle: .zero, lookback: .seconds(900)))
        #expect(Set(try database.assignments("late").keys) == ["minute"])
        // A wider lookback, as after a long outage, reads the other one too.
        try database.run(AssignmentsJob(settle: .zero, lookback: .seconds(7200)))
        #expect(Set(try database.assignments("late").keys) == ["minute", "hour"])
    }

    @Test func theSettleTimeLeavesTheNewestEventsForTheNextRun() throws {
        let database = try ExperimentsDatabase("jobsettle")
        try database.save(#"{"key":"settle","variations":["a","b"]}"#)
        _ = try database.connection.copyEvents([
            EventRow(projectID: database.projectID, messageID: "m1", type: .page, userID: "u1", timestamp: .now(), receivedAt: .now())
        ])
        try database.run(AssignmentsJob(settle: .seconds(3600), lookback: .zero))
        #expect(try database.assignments("settle").isEmpty, "received less than the settle time ago")
        try database.run(AssignmentsJob(settle: .zero, lookback: .zero))
        #expect(Set(try database.assignments("settle").keys) == ["u1"])
    }

    @Test func targetingCoverageAndTraitsDecideWhoIsInAndExposuresOfOthersAreKeptApart() throws {
        let database = try ExperimentsDatabase("jobtargeting")
        let definition = try database.save(
            """
            {"key":"pro-only","variations":["a","b"],"coverage":0.7,
             "targeting":{"country":["US","DE"],"traits":{"plan":["pro","team"]}}}
            """
        ).experiment.definition
        let traffic = ExperimentTraffic.generate(
            projectID: database.projectID, definition: definition, count: 800, seed: 99, start: .now(),
            receivedAt: .now()
        )
        _ = try database.connection.copyEvents(traffic.rows)
        let run = try database.run()
        let rows = try database.assignments("pro-only")
        Self.check(rows, against: traffic)
        let inside = traffic.people.filter { $0.variant != nil }.count
        #expect(inside > 20 && inside < 400, "targeting and coverage leave some out")
        #expect(rows.count == inside)

        let unassigned = try database.connection.query(
            "SELECT person_id, reason, exposed_variant FROM experiments.unassigned_exposures ORDER BY person_id"
        )
        #expect(unassigned.rowCount == traffic.expectedUnassignedExposures)
        let reasons = Dictionary(uniqueKeysWithValues: traffic.people.map { ($0.id, definition.assign($0.attributes).exclusion) })
        for row in 0..<unassigned.rowCount {
            let person = try #require(unassigned.string(row, 0))
            #expect(unassigned.string(row, 1) == reasons[person]??.rawValue, "\(person)")
            #expect(unassigned.string(row, 2) == "0", "they were shown the control")
        }
        #expect(run.summary?.contains("unassigned exposures \(traffic.expectedUnassignedExposures)") == true)
        #expect(try database.run().rowsTouched == 0)
    }

    @Test func eachVersionHasItsOwnAssignmentsAndAStoppedExperimentOnlyItsLateEvents() throws {
        let database = try ExperimentsDatabase("jobversions")
        try database.save(#"{"key":"v","variations":["a","b"]}"#)
        func page(_ person: String) -> EventRow {
            EventRow(projectID: database.projectID, messageID: "m-\(person)-\(UInt32.random(in: 0...UInt32.max))",
                type: .page, userID: person, timestamp: .now(), receivedAt: .now())
        }
        _ = try database.connection.copyEvents([page("early")])
        try database.run()
        try database.save(#"{"key":"v","variations":["a","b"],"weights":[0.1,0.9]}"#, force: true)
        _ = try database.connection.copyEvents([page("later")])
        try database.run()
        #expect(Set(try database.assignments("v", version: 1).keys) == ["early"])
        #expect(Set(try database.assignments("v", version: 2).keys) == ["later"], "events before version 2 do not count for it")

        let beforeStop = Timestamp.now()
        try ExperimentStore.stop(projectID: database.projectID, key: "v", on: database.connection)
        // Loaded after the stop: an event from after it (not counted) and a late one from before it (counted).
        var late = page("before-stop")
        late.timestamp = beforeStop
        _ = try database.connection.copyEvents([page("after-stop"), late])
        let stopped = try database.run()
        #expect(stopped.rowsTouched == 1)
        #expect(Set(try database.assignments("v", version: 2).keys) == ["later", "before-stop"])
    }
}
