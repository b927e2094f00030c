import Hummingbird
import SluiceExperiments
import SluiceExperimentsStore

extension ExperimentsController {
    /// `GET /v1/experiments`: the read key's project's experiments, by key, so a dashboard can show each one's
    /// results without being told their keys:
    /// `{"experiments":[{"key":"checkout-v2","name":null,"status":"running","version":1,
    /// "goalEvent":"Order Completed","variations":2}]}` (`name` and `goalEvent` are null when not set;
    /// `variations` is how many there are).
    func list(_ request: Request) async throws(ExperimentsAPIError) -> String {
        try await readQuery(request) { projectID, connection in
            Self.listJSON(try ExperimentStore.list(projectID: projectID, on: connection)).jsonText
        }
    }

    /// The list answer for `experiments`, in the order given.
    static func listJSON(_ experiments: [StoredExperiment]) -> JSONValue {
        func optional(_ text: String?) -> JSONValue { text.map(JSONValue.string) ?? .null }
        let entries = experiments.map { stored -> JSONValue in
            let definition = stored.definition
            return .object([
                JSONMember("key", .string(definition.key)),
                JSONMember("name", optional(definition.name)),
                JSONMember("status", .string(definition.status.rawValue)),
                JSONMember("version", .number(JSONNumber(Double(stored.version))!)),
                JSONMember("goalEvent", optional(definition.goalEvent)),
                JSONMember("variations", .number(JSONNumber(Double(definition.variations.count))!)),
            ])
        }
        return .object([JSONMember("experiments", .array(entries))])
    }
}
