extension ExperimentDefinition {
    /// The definition as an experiment file, with every default written out (weights, coverage, hashAttribute,
    /// hashVersion, seed, status), so that what is stored reads back as the same definition:
    /// `ExperimentDefinition(jsonText: d.jsonText) == d`.
    public var json: JSONValue {
        var members: [JSONMember] = [JSONMember("key", .string(key))]
        if let name { members.append(JSONMember("name", .string(name))) }
        members.append(JSONMember("variations", .array(variations)))
        members.append(JSONMember("weights", .array(weights.map(Self.number))))
        members.append(JSONMember("coverage", Self.number(coverage)))
        members.append(JSONMember("hashAttribute", .string(hashAttribute.name)))
        members.append(JSONMember("hashVersion", .number(JSONNumber(Double(hashVersion.rawValue))!)))
        members.append(JSONMember("seed", .string(seed)))
        if let namespace {
            members.append(
                JSONMember(
                    "namespace",
                    .array([
                        .string(namespace.id), Self.number(namespace.lowerBound), Self.number(namespace.upperBound),
                    ])
                )
            )
        }
        members.append(JSONMember("status", .string(status.rawValue)))
        if let goalEvent { members.append(JSONMember("goalEvent", .string(goalEvent))) }
        if !targeting.isEmpty { members.append(JSONMember("targeting", targeting.json)) }
        return .object(members)
    }

    /// ``json`` as compact JSON text.
    public var jsonText: String { json.jsonText }

    /// A finite number (every weight, coverage and bound of a valid definition is one) as a JSON value.
    private static func number(_ value: Double) -> JSONValue {
        .number(JSONNumber(value)!)
    }
}

extension ExperimentTargeting {
    /// The targeting as written in an experiment file.
    var json: JSONValue {
        var members: [JSONMember] = []
        if let country { members.append(JSONMember("country", country.json)) }
        if let browser { members.append(JSONMember("browser", browser.json)) }
        if let os { members.append(JSONMember("os", os.json)) }
        if let device { members.append(JSONMember("device", device.json)) }
        if !traits.isEmpty {
            members.append(JSONMember("traits", .object(traits.map { JSONMember($0.name, $0.condition.json) })))
        }
        return .object(members)
    }
}
