import Foundation
import SluiceExperiments

/// GrowthBook's cross-SDK spec test cases (`Fixtures/growthbook-cases.json`, whose `source` names where they
/// come from), parsed with Sluice's own JSON parser.
enum GrowthBookCases {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()

    static let all: JSONValue = {
        let url = directory.appendingPathComponent("Fixtures/growthbook-cases.json")
        let text = try! String(contentsOf: url, encoding: .utf8)
        return try! JSONValue(parsing: text)
    }()

    /// The cases of one section, each an array.
    static func section(_ name: String) -> [[JSONValue]] {
        guard case .array(let cases) = all[name] else { fatalError("no section \(name) in growthbook-cases.json") }
        return cases.map { entry in
            guard case .array(let fields) = entry else { fatalError("a case in \(name) is not an array") }
            return fields
        }
    }
}

extension JSONValue {
    var string: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    var double: Double? {
        if case .number(let number) = self { return number.value }
        return nil
    }

    var array: [JSONValue]? {
        if case .array(let elements) = self { return elements }
        return nil
    }
}
