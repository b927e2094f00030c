// SluiceExperiments: A/B experiments without I/O. Experiment definitions (GrowthBook's fields), GrowthBook's
// deterministic bucketing, and the results statistics of GrowthBook's gbstats engine in frequentist mode. The
// database tables, the CLI and the HTTP endpoints are thin layers over these types.

import SluiceCore

/// A JSON value as written in an experiment file or a user's traits.
///
/// Numbers keep their literal text (``JSONNumber``), and objects keep their members in order, so that a variation
/// value reads back, and is served, as the user wrote it (only whitespace is dropped: see ``jsonText``).
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(JSONNumber)
    case string(String)
    case array([JSONValue])
    case object([JSONMember])

    /// The value as compact JSON text: no whitespace, members in their order, numbers as written, strings
    /// escaped as ``SluiceCore/JSONString`` does.
    public var jsonText: String {
        var text = ""
        append(to: &text)
        return text
    }

    /// Appends ``jsonText`` to `output`.
    public func append(to output: inout String) {
        switch self {
        case .null: output.append("null")
        case .bool(let value): output.append(value ? "true" : "false")
        case .number(let number): output.append(number.text)
        case .string(let string): JSONString.append(string, to: &output)
        case .array(let elements):
            output.append("[")
            for (index, element) in elements.enumerated() {
                if index > 0 { output.append(",") }
                element.append(to: &output)
            }
            output.append("]")
        case .object(let members):
            output.append("{")
            for (index, member) in members.enumerated() {
                if index > 0 { output.append(",") }
                JSONString.append(member.key, to: &output)
                output.append(":")
                member.value.append(to: &output)
            }
            output.append("}")
        }
    }

    /// The member named `key` of an object (the first, if an object repeats it); `nil` for other values.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }

    /// The kind of value, as a word for error messages (`"a string"`, `"an array"`, …).
    var kindDescription: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// One member of a JSON object.
public struct JSONMember: Sendable, Equatable {
    public var key: String
    public var value: JSONValue

    public init(_ key: String, _ value: JSONValue) {
        self.key = key
        self.value = value
    }
}

/// A JSON number: its literal text (valid RFC 8259 number syntax) and its value as a `Double`.
public struct JSONNumber: Sendable, Equatable {
    /// The number as written, e.g. `0.50` or `1e3`.
    public let text: String
    /// The nearest `Double` (infinite when the literal overflows it).
    public let value: Double

    /// A number from literal text already checked to be valid JSON number syntax.
    init(validatedText text: String) {
        self.text = text
        self.value = Double(text) ?? .nan
    }

    /// The number `value` written as Swift writes a `Double` (the shortest text that reads back exactly);
    /// `nil` for infinities and NaN, which JSON cannot hold.
    public init?(_ value: Double) {
        guard value.isFinite else { return nil }
        self.text = JSONNumber.text(value)
        self.value = value
    }

    /// `value` as JSON number text: integral values without a fraction (`3`, not `3.0`) up to 2^53, others in
    /// Swift's shortest round-trip form (`0.1`, `1e-07`); `null` for infinities and NaN.
    public static func text(_ value: Double) -> String {
        guard value.isFinite else { return "null" }
        if value == value.rounded(), abs(value) <= 9_007_199_254_740_992 {
            return value == 0 ? "0" : String(Int64(value))
        }
        return value.description
    }

    /// Whether the literal is an integer (no fraction or exponent).
    public var isIntegerLiteral: Bool {
        !text.utf8.contains { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }
    }
}
