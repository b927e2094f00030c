import SluiceExperiments
import Testing

/// The update rule: re-randomising changes to a running experiment need force and start a new version; other
/// changes keep the version.
@Suite struct ExperimentUpdateTests {
    static func definition(_ fields: String, status: String = "running") throws -> ExperimentDefinition {
        try ExperimentDefinition(jsonText: #"{"key":"k","status":"\#(status)",\#(fields)}"#)
    }

    static let base = #""variations":["a","b"],"weights":[0.5,0.5]"#

    @Test func createsAtVersionOne() throws {
        let update = try ExperimentUpdate.plan(current: nil, proposed: try Self.definition(Self.base), force: false)
        #expect(update.kind == .create && update.version == 1 && update.changedReassigningFields.isEmpty)
    }

    @Test func sameDefinitionIsUnchanged() throws {
        let current = try Self.definition(Self.base)
        // Weights left out equal the equal weights written out.
        let proposed = try Self.definition(#""variations":["a","b"]"#)
        let update = try ExperimentUpdate.plan(current: (current, 4), proposed: proposed, force: false)
        #expect(update.kind == .unchanged && update.version == 4)
    }

    /// Coverage, namespace, targeting, status and goal changes keep the version, running or not.
    @Test func nonReassigningChangesKeepTheVersion() throws {
        let current = try Self.definition(Self.base)
        for change in [
            #","coverage":0.5"#, #","namespace":["n",0,0.5]"#, #","targeting":{"country":["US"]}"#,
            #","goalEvent":"Signed Up""#, #","name":"K""#,
        ] {
            let update = try ExperimentUpdate.plan(
                current: (current, 2), proposed: try Self.definition(Self.base + change), force: false
            )
            #expect(update.kind == .update && update.version == 2, "\(change)")
        }
        let stopped = try ExperimentUpdate.plan(
            current: (current, 2), proposed: try Self.definition(Self.base, status: "stopped"), force: false
        )
        #expect(stopped.kind == .update && stopped.version == 2)
    }

    @Test(arguments: [
        (#""variations":["a","c"],"weights":[0.5,0.5]"#, ["variations"]),
        (#""variations":["a","b","c"]"#, ["variations", "weights"]),
        (#""variations":["a","b"],"weights":[0.4,0.6]"#, ["weights"]),
        (#""variations":["a","b"],"weights":[0.5,0.5],"seed":"other""#, ["seed"]),
        (#""variations":["a","b"],"weights":[0.5,0.5],"hashAttribute":"anonymousId""#, ["hashAttribute"]),
        (#""variations":["a","b"],"weights":[0.5,0.5],"hashVersion":2"#, ["hashVersion"]),
    ])
    func reassigningChangesOfARunningExperimentNeedForce(fields: String, changed: [String]) throws {
        let current = try Self.definition(Self.base)
        let proposed = try Self.definition(fields)
        #expect {
            try ExperimentUpdate.plan(current: (current, 3), proposed: proposed, force: false)
        } throws: { error in
            guard let error = error as? ExperimentDefinitionError else { return false }
            return error.code == .needsForce && error.field == changed[0] && error.description.contains("--force")
                && error.description.contains("version 4")
        }
        let forced = try ExperimentUpdate.plan(current: (current, 3), proposed: proposed, force: true)
        #expect(forced.kind == .newVersion && forced.version == 4 && forced.changedReassigningFields == changed)
    }

    /// A draft or stopped experiment takes the same changes without force, and still starts a new version.
    @Test(arguments: ["draft", "stopped"]) func reassigningChangesOfAnIdleExperiment(status: String) throws {
        let current = try Self.definition(Self.base, status: status)
        let proposed = try Self.definition(#""variations":["a","b"],"weights":[0.1,0.9]"#, status: status)
        let update = try ExperimentUpdate.plan(current: (current, 1), proposed: proposed, force: false)
        #expect(update.kind == .newVersion && update.version == 2 && update.changedReassigningFields == ["weights"])
    }

    @Test func anotherKeyIsRefused() throws {
        let current = try Self.definition(Self.base)
        let other = try ExperimentDefinition(jsonText: #"{"key":"j","variations":["a","b"]}"#)
        #expect {
            try ExperimentUpdate.plan(current: (current, 1), proposed: other, force: true)
        } throws: { error in
            (error as? ExperimentDefinitionError)?.code == .keyMismatch
        }
    }
}
