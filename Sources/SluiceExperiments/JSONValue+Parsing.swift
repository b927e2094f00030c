/// Why a text is not JSON, and where.
public struct JSONSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Byte offset into the UTF-8 text where the problem starts.
    public var offset: Int
    /// What is wrong there, e.g. `expected ':' after an object key`.
    public var message: String

    public init(offset: Int, message: String) {
        self.offset = offset
        self.message = message
    }

    public var description: String { "\(message) at byte \(offset)" }
}

extension JSONValue {
    /// The deepest nesting of arrays and objects a parse accepts (the outermost container is depth 1).
    public static let maximumDepth = 64

    /// Parses one RFC 8259 JSON text (whitespace around it allowed, nothing else after it).
    ///
    /// Strings must be well-formed UTF-8 and may not hold lone surrogate escapes (`\uD800` alone), which no Swift
    /// string, and no PostgreSQL `text`, can store. Throws ``JSONSyntaxError`` naming the byte offset.
    public init(parsing text: String) throws(JSONSyntaxError) {
        self = try JSONValue(parsing: Array(text.utf8))
    }

    /// Parses one JSON text from UTF-8 bytes; see ``init(parsing:)-(String)``.
    public init(parsing bytes: [UInt8]) throws(JSONSyntaxError) {
        var parser = JSONParser(bytes: bytes)
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 1)
        parser.skipWhitespace()
        guard parser.offset == bytes.count else { throw parser.error("unexpected data after the JSON value") }
        self = value
    }
}

/// A recursive-descent JSON parser over UTF-8 bytes, building ``JSONValue`` trees. Definitions and traits are
/// small, so clarity wins over speed here; nothing on the assignment hot path parses JSON.
private struct JSONParser {
    let bytes: [UInt8]
    var offset = 0

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    func error(_ message: String, at offset: Int? = nil) -> JSONSyntaxError {
        JSONSyntaxError(offset: offset ?? self.offset, message: message)
    }

    var current: UInt8? { offset < bytes.count ? bytes[offset] : nil }

    mutating func skipWhitespace() {
        while let byte = current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { offset += 1 }
    }

    mutating func expect(_ literal: String, _ value: JSONValue) throws(JSONSyntaxError) -> JSONValue {
        let start = offset
        for byte in literal.utf8 {
            guard current == byte else { throw error("invalid literal (expected '\(literal)')", at: start) }
            offset += 1
        }
        return value
    }

    mutating func parseValue(depth: Int) throws(JSONSyntaxError) -> JSONValue {
        guard let byte = current else { throw error("unexpected end of JSON") }
        switch byte {
        case UInt8(ascii: "{"): return try parseObject(depth: depth)
        case UInt8(ascii: "["): return try parseArray(depth: depth)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): return try expect("true", .bool(true))
        case UInt8(ascii: "f"): return try expect("false", .bool(false))
        case UInt8(ascii: "n"): return try expect("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw error("unexpected character in JSON")
        }
    }

    mutating func parseObject(depth: Int) throws(JSONSyntaxError) -> JSONValue {
        guard depth <= JSONValue.maximumDepth else { throw error("JSON nested too deeply") }
        offset += 1
        var members: [JSONMember] = []
        skipWhitespace()
        if current == UInt8(ascii: "}") {
            offset += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\"") else { throw error("expected a string key in a JSON object") }
            let key = try parseString()
            skipWhitespace()
            guard current == UInt8(ascii: ":") else { throw error("expected ':' after an object key") }
            offset += 1
            skipWhitespace()
            members.append(JSONMember(key, try parseValue(depth: depth + 1)))
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): offset += 1
            case UInt8(ascii: "}"):
                offset += 1
                return .object(members)
            default: throw error("expected ',' or '}' in a JSON object")
            }
        }
    }

    mutating func parseArray(depth: Int) throws(JSONSyntaxError) -> JSONValue {
        guard depth <= JSONValue.maximumDepth else { throw error("JSON nested too deeply") }
        offset += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") {
            offset += 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            elements.append(try parseValue(depth: depth + 1))
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): offset += 1
            case UInt8(ascii: "]"):
                offset += 1
                return .array(elements)
            default: throw error("expected ',' or ']' in a JSON array")
            }
        }
    }

    mutating func parseNumber() throws(JSONSyntaxError) -> JSONNumber {
        let start = offset
        func digits(_ parser: inout JSONParser) -> Int {
            var count = 0
            while let byte = parser.current, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
                parser.offset += 1
                count += 1
            }
            return count
        }
        if current == UInt8(ascii: "-") { offset += 1 }
        let integerStart = offset
        let integerDigits = digits(&self)
        guard integerDigits > 0 else { throw error("invalid JSON number", at: start) }
        guard integerDigits == 1 || bytes[integerStart] != UInt8(ascii: "0") else {
            throw error("invalid JSON number (leading zero)", at: start)
        }
        if current == UInt8(ascii: ".") {
            offset += 1
            guard digits(&self) > 0 else { throw error("invalid JSON number (no digit after '.')", at: start) }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            offset += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { offset += 1 }
            guard digits(&self) > 0 else { throw error("invalid JSON number (no digit in the exponent)", at: start) }
        }
        return JSONNumber(validatedText: String(decoding: bytes[start..<offset], as: UTF8.self))
    }

    /// The four hex digits of a `\u` escape that starts (with its backslash) at `escapeStart`.
    mutating func parseHexQuad(escapeStart: Int) throws(JSONSyntaxError) -> UInt32 {
        guard offset + 4 <= bytes.count else { throw error("invalid \\u escape in a JSON string", at: escapeStart) }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[offset]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw error("invalid \\u escape in a JSON string", at: escapeStart)
            }
            value = value << 4 | UInt32(digit)
            offset += 1
        }
        return value
    }

    mutating func parseString() throws(JSONSyntaxError) -> String {
        let start = offset
        offset += 1
        var utf8: [UInt8] = []
        while true {
            guard let byte = current else { throw error("unterminated JSON string", at: start) }
            offset += 1
            switch byte {
            case UInt8(ascii: "\""):
                guard let string = String(validating: utf8, as: UTF8.self) else {
                    throw error("invalid UTF-8 in a JSON string", at: start)
                }
                return string
            case UInt8(ascii: "\\"):
                guard let escaped = current else { throw error("unterminated JSON string", at: start) }
                offset += 1
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(escaped)
                case UInt8(ascii: "b"): utf8.append(0x08)
                case UInt8(ascii: "f"): utf8.append(0x0C)
                case UInt8(ascii: "n"): utf8.append(0x0A)
                case UInt8(ascii: "r"): utf8.append(0x0D)
                case UInt8(ascii: "t"): utf8.append(0x09)
                case UInt8(ascii: "u"):
                    let escapeStart = offset - 2
                    var scalar = try parseHexQuad(escapeStart: escapeStart)
                    if scalar >= 0xD800 && scalar < 0xDC00 {
                        // A high surrogate must be followed by an escaped low one; together they are one scalar.
                        guard offset + 2 <= bytes.count, bytes[offset] == UInt8(ascii: "\\"),
                            bytes[offset + 1] == UInt8(ascii: "u")
                        else { throw error("lone UTF-16 surrogate in a JSON string", at: escapeStart) }
                        offset += 2
                        let low = try parseHexQuad(escapeStart: escapeStart)
                        guard low >= 0xDC00 && low < 0xE000 else {
                            throw error("lone UTF-16 surrogate in a JSON string", at: escapeStart)
                        }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if scalar >= 0xDC00 && scalar < 0xE000 {
                        throw error("lone UTF-16 surrogate in a JSON string", at: escapeStart)
                    }
                    utf8.append(contentsOf: UTF8.encode(Unicode.Scalar(scalar)!)!)
                default: throw error("invalid escape in a JSON string", at: offset - 2)
                }
            case 0x00..<0x20: throw error("unescaped control character in a JSON string", at: offset - 1)
            default: utf8.append(byte)
            }
        }
    }
}
