import Foundation

/// Checks a JSON value against a schema of an OpenAPI 3.1 document: the subset of JSON Schema the document
/// uses (`$ref` into the document, `type` or a list of types, `const`, `enum`, `properties`, `required`,
/// `additionalProperties`, `propertyNames`, `minProperties`, `items`, `minItems`, `maxItems`, `minimum`,
/// `maximum`). A keyword it does not know fails the check, so the document cannot outgrow it unnoticed.
struct SchemaChecker {
    let document: [String: Any]

    static let known: Set<String> = [
        "$ref", "type", "const", "enum", "properties", "required", "additionalProperties", "propertyNames",
        "minProperties", "items", "minItems", "maxItems", "minimum", "maximum", "description", "format",
        "default", "example", "maxLength",
    ]

    /// The object a `#/…` reference points to.
    func resolve(_ reference: String) -> Any? {
        guard reference.hasPrefix("#/") else { return nil }
        var node: Any? = document
        for part in reference.dropFirst(2).split(separator: "/") {
            node = (node as? [String: Any])?[String(part)]
        }
        return node
    }

    /// What is wrong with `value` under `schema`; empty when it conforms.
    func problems(_ value: Any, _ schema: Any, at path: String = "$") -> [String] {
        guard var schema = schema as? [String: Any] else { return ["\(path): the schema is not an object"] }
        if let reference = schema["$ref"] as? String {
            guard let target = resolve(reference) as? [String: Any] else { return ["\(path): no \(reference)"] }
            schema = target
        }
        var problems: [String] = []
        for keyword in schema.keys where !Self.known.contains(keyword) {
            problems.append("\(path): the checker does not know \(keyword)")
        }
        if let type = schema["type"] {
            let types = (type as? [String]) ?? [type as? String ?? ""]
            if !types.contains(where: { Self.has(value, type: $0) }) {
                problems.append("\(path): \(Self.describe(value)) is not \(types.joined(separator: " or "))")
                return problems
            }
        }
        if let constant = schema["const"], !Self.equal(constant, value) {
            problems.append("\(path): \(Self.describe(value)) is not \(constant)")
        }
        if let options = schema["enum"] as? [Any], !options.contains(where: { Self.equal($0, value) }) {
            problems.append("\(path): \(Self.describe(value)) is not one of \(options)")
        }
        if let number = Self.number(value) {
            if let minimum = schema["minimum"].flatMap(Self.number), number < minimum {
                problems.append("\(path): \(number) < \(minimum)")
            }
            if let maximum = schema["maximum"].flatMap(Self.number), number > maximum {
                problems.append("\(path): \(number) > \(maximum)")
            }
        }
        if let object = value as? [String: Any] {
            let properties = schema["properties"] as? [String: Any] ?? [:]
            for name in schema["required"] as? [String] ?? [] where object[name] == nil {
                problems.append("\(path): \(name) is missing")
            }
            if let minimum = schema["minProperties"] as? Int, object.count < minimum {
                problems.append("\(path): fewer than \(minimum) properties")
            }
            for (name, member) in object {
                if let names = schema["propertyNames"] {
                    problems += self.problems(name, names, at: "\(path) key \(name)")
                }
                if let property = properties[name] {
                    problems += self.problems(member, property, at: "\(path).\(name)")
                } else if let additional = schema["additionalProperties"] {
                    if let allowed = additional as? Bool {
                        if !allowed { problems.append("\(path): \(name) is not allowed") }
                    } else {
                        problems += self.problems(member, additional, at: "\(path).\(name)")
                    }
                }
            }
        }
        if let array = value as? [Any] {
            if let minimum = schema["minItems"] as? Int, array.count < minimum {
                problems.append("\(path): fewer than \(minimum) items")
            }
            if let maximum = schema["maxItems"] as? Int, array.count > maximum {
                problems.append("\(path): more than \(maximum) items")
            }
            if let items = schema["items"] {
                for (index, item) in array.enumerated() {
                    problems += self.problems(item, items, at: "\(path)[\(index)]")
                }
            }
        }
        return problems
    }

    static func isBool(_ value: Any) -> Bool {
        if value is Bool && !(value is NSNumber) { return true }
        guard let number = value as? NSNumber else { return false }
        // Foundation keeps JSON's true and false as numbers of C type char; JSON's numbers are never that.
        let type = String(cString: number.objCType)
        return type == "c" || type == "B"
    }

    static func number(_ value: Any) -> Double? {
        if isBool(value) { return nil }
        if let number = value as? NSNumber { return number.doubleValue }
        if let integer = value as? Int { return Double(integer) }
        return value as? Double
    }

    static func has(_ value: Any, type: String) -> Bool {
        switch type {
        case "object": return value is [String: Any]
        case "array": return value is [Any]
        case "string": return value is String
        case "boolean": return isBool(value)
        case "number": return number(value) != nil
        case "integer": return number(value).map { $0 == $0.rounded() } ?? false
        case "null": return value is NSNull
        default: return false
        }
    }

    static func equal(_ left: Any, _ right: Any) -> Bool {
        if isBool(left) || isBool(right) {
            return isBool(left) && isBool(right) && (left as? Bool) == (right as? Bool)
        }
        if let left = number(left), let right = number(right) { return left == right }
        if let left = left as? String, let right = right as? String { return left == right }
        return false
    }

    static func describe(_ value: Any) -> String {
        if let string = value as? String { return "'\(string)'" }
        return "\(value)"
    }
}
