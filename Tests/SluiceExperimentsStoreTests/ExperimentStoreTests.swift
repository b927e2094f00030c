import SluiceExperiments
import SluiceExperimentsStore
import SluicePostgres
import Testing

/// Definitions in experiments.experiments: stored as written, updated under the version rule, stopped.
@Suite struct ExperimentStoreTests {
    static let file = """
        {"key":"checkout-v2","name":"Checkout","variations":[{"layout":"old","n":1.50},{"layout":"new","n":2}],
         "weights":[0.3,0.7],"coverage":0.8,"hashAttribute":"plan","hashVersion":2,"seed":"s-1",
         "namespace":["ns",0.1,0.6],"goalEvent":"Order Completed","status":"running",
         "targeting":{"country":["US","CA"],"device":{"not":["bot"]},"traits":{"beta":[true],"age":[30,31]}}}
        """

    @Test func aDefinitionReadsBackAsItWasWritten() throws {
        let database = try ExperimentsDatabase("storeroundtrip")
        let saved = try database.save(Self.file)
        #expect(saved.update.kind == .create)
        let definition = try ExperimentDefinition(jsonText: Self.file)
        #expect(saved.experiment.definition == definition)
        #expect(saved.experiment.definition.variationTexts == [#"{"layout":"old","n":1.50}"#, #"{"layout":"new","n":2}"#])
        #expect(saved.experiment.version == 1)
        #expect(saved.experiment.versionStartedAt != nil && saved.experiment.stoppedAt == nil)
        let listed = try ExperimentStore.list(projectID: database.projectID, on: database.connection)
        #expect(listed.map(\.definition) == [definition])
        let all = try ExperimentStore.all(on: database.connection)
        #expect(all.map(\.projectID) == [database.projectID])
        // Storing it again changes nothing, not even updated_at.
        let again = try database.save(Self.file)
        #expect(again.update.kind == .unchanged && again.experiment.updatedAt == saved.experiment.updatedAt)
    }

    @Test func reRandomisingARunningExperimentNeedsForceAndStartsAVersion() throws {
        let database = try ExperimentsDatabase("storeversions")
        try database.save(#"{"key":"k","variations":["a","b"]}"#)
        let before = try database.fingerprint()
        #expect(throws: ExperimentStoreError.self) { try database.save(#"{"key":"k","variations":["a","b"],"weights":[0.2,0.8]}"#) }
        do {
            try database.save(#"{"key":"k","variations":["a","b"],"weights":[0.2,0.8]}"#)
        } catch let error as ExperimentStoreError {
            #expect(error.code == .refused && error.isUsageError)
            #expect(error.message.contains("weights") && error.message.contains("--force") && error.message.contains("version 2"))
        }
        #expect(try database.fingerprint() == before, "a refused change stores nothing")

        let forced = try database.save(#"{"key":"k","variations":["a","b"],"weights":[0.2,0.8]}"#, force: true)
        #expect(forced.update.kind == .newVersion && forced.experiment.version == 2)
        #expect(forced.update.changedReassigningFields == ["weights"])

        // Coverage and goal changes keep the version; a draft may be re-randomised without --force.
        let widened = try database.save(#"{"key":"k","variations":["a","b"],"weights":[0.2,0.8],"coverage":0.5}"#)
        #expect(widened.update.kind == .update && widened.experiment.version == 2)
        try database.save(#"{"key":"d","variations":["a","b"],"status":"draft"}"#)
        let draft = try database.save(#"{"key":"d","variations":["a","b","c"],"status":"draft"}"#)
        #expect(draft.update.kind == .newVersion && draft.experiment.version == 2)
        #expect(draft.experiment.versionStartedAt == nil, "a draft's version has not started")
        let started = try database.save(#"{"key":"d","variations":["a","b","c"]}"#)
        #expect(started.update.kind == .update && started.experiment.versionStartedAt != nil)
    }

    @Test func stoppingSetsTheTimeAndRunningAgainClearsIt() throws {
        let database = try ExperimentsDatabase("storestop")
        try database.save(#"{"key":"k","variations":["a","b"]}"#)
        #expect(try ExperimentStore.stop(projectID: database.projectID, key: "k", on: database.connection))
        #expect(try !ExperimentStore.stop(projectID: database.projectID, key: "k", on: database.connection))
        let stopped = try #require(try ExperimentStore.load(projectID: database.projectID, key: "k", on: database.connection))
        #expect(stopped.definition.status == .stopped && stopped.stoppedAt != nil)
        let restarted = try database.save(#"{"key":"k","variations":["a","b"]}"#)
        #expect(restarted.experiment.stoppedAt == nil && restarted.experiment.versionStartedAt == stopped.versionStartedAt)
    }

    @Test func unknownProjectsAndKeysAreUsageErrors() throws {
        let database = try ExperimentsDatabase("storeunknown")
        for body in [
            { _ = try ExperimentStore.list(projectID: 999, on: database.connection) },
            { _ = try ExperimentStore.stop(projectID: database.projectID, key: "nope", on: database.connection) },
            { _ = try ExperimentStore.report(projectID: database.projectID, key: "nope", on: database.connection) },
            {
                _ = try ExperimentStore.save(
                    try ExperimentDefinition(jsonText: #"{"key":"k","variations":[1,2]}"#), projectID: 999, force: false,
                    on: database.connection
                )
            },
        ] as [() throws -> Void] {
            do {
                try body()
                Issue.record("expected an ExperimentStoreError")
            } catch let error as ExperimentStoreError {
                #expect(error.isUsageError && [.unknownProject, .unknownExperiment].contains(error.code))
            }
        }
    }
}

extension ExperimentsDatabase {
    /// Every stored column of every experiment, to see that nothing changed.
    func fingerprint() throws -> String {
        try connection.query("SELECT coalesce(string_agg(e::text, '|' ORDER BY key), '') FROM experiments.experiments e")
            .string(0, 0) ?? ""
    }
}
