import SluiceCore

// MARK: - JSON text

/// Writes JSON text into a byte buffer, escaping strings per RFC 8259.
///
/// Much faster than building dictionaries for `JSONSerialization` (generation speed matters: benchmarks
/// prepare a million rows ahead), and keys keep the order they are written in. Keys are literals and are
/// written as they are, so they must not need escaping; values are always escaped. The caller balances the
/// `begin…`/`end…` calls; nothing is checked.
package struct JSONWriter {
    private var bytes: [UInt8]
    private var needsComma = false

    package init(capacity: Int) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// The JSON text written so far.
    package var text: String { String(decoding: bytes, as: UTF8.self) }

    /// An object as an array element or the top-level value.
    package mutating func beginObject() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
    }

    package mutating func beginObject(_ key: StaticString) {
        appendKey(key)
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
    }

    package mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        needsComma = true
    }

    package mutating func beginArray(_ key: StaticString) {
        appendKey(key)
        bytes.append(UInt8(ascii: "["))
        needsComma = false
    }

    package mutating func endArray() {
        bytes.append(UInt8(ascii: "]"))
        needsComma = true
    }

    /// A member whose value is JSON text written as it is (an object kept as text, say).
    package mutating func rawJSON(_ key: StaticString, _ json: String) {
        appendKey(key)
        bytes.append(contentsOf: json.utf8)
        needsComma = true
    }

    /// The bytes written so far.
    package var utf8: [UInt8] { bytes }

    package mutating func string(_ key: StaticString, _ value: String) {
        appendKey(key)
        bytes.append(UInt8(ascii: "\""))
        appendEscaped(value)
        bytes.append(UInt8(ascii: "\""))
        needsComma = true
    }

    /// One string value made of three parts, e.g. a URL from origin, path and query, without concatenating them.
    package mutating func string(_ key: StaticString, _ first: String, _ second: String, _ third: String) {
        appendKey(key)
        bytes.append(UInt8(ascii: "\""))
        appendEscaped(first)
        appendEscaped(second)
        appendEscaped(third)
        bytes.append(UInt8(ascii: "\""))
        needsComma = true
    }

    package mutating func int(_ key: StaticString, _ value: Int) {
        appendKey(key)
        appendDigits(value)
        needsComma = true
    }

    /// A non-negative amount of money as a JSON number with two decimals, e.g. `19.90`.
    package mutating func decimal(_ key: StaticString, cents: Int) {
        appendKey(key)
        appendDigits(cents / 100)
        bytes.append(UInt8(ascii: "."))
        bytes.append(UInt8(ascii: "0") + UInt8(cents % 100 / 10))
        bytes.append(UInt8(ascii: "0") + UInt8(cents % 10))
        needsComma = true
    }

    package mutating func bool(_ key: StaticString, _ value: Bool) {
        appendKey(key)
        if value {
            bytes.append(contentsOf: [UInt8(ascii: "t"), UInt8(ascii: "r"), UInt8(ascii: "u"), UInt8(ascii: "e")])
        } else {
            bytes.append(contentsOf: [
                UInt8(ascii: "f"), UInt8(ascii: "a"), UInt8(ascii: "l"), UInt8(ascii: "s"), UInt8(ascii: "e"),
            ])
        }
        needsComma = true
    }

    private mutating func appendKey(_ key: StaticString) {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
        bytes.append(UInt8(ascii: "\""))
        key.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
    }

    private mutating func appendDigits(_ value: Int) {
        if value < 0 {
            bytes.append(UInt8(ascii: "-"))
        }
        var magnitude = value.magnitude
        let start = bytes.count
        repeat {
            bytes.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        bytes[start...].reverse()
    }

    /// Appends `value`'s UTF-8 with quotes, backslashes and control characters escaped; everything else,
    /// non-ASCII text included, is copied as it is, in runs.
    private mutating func appendEscaped(_ value: String) {
        var value = value
        value.withUTF8 { utf8 in
            var runStart = 0
            for index in 0..<utf8.count {
                let byte = utf8[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index]))
                runStart = index + 1
                bytes.append(UInt8(ascii: "\\"))
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes.append(byte)
                case UInt8(ascii: "\n"): bytes.append(UInt8(ascii: "n"))
                case UInt8(ascii: "\r"): bytes.append(UInt8(ascii: "r"))
                case UInt8(ascii: "\t"): bytes.append(UInt8(ascii: "t"))
                default:
                    bytes.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                    bytes.append(hexDigits[Int(byte >> 4)])
                    bytes.append(hexDigits[Int(byte & 0xF)])
                }
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...]))
        }
    }
}
