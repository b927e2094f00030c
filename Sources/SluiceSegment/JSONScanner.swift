#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Why a JSON text was refused, and where.
///
/// Two kinds: syntax errors (the text is not JSON, so the whole request is malformed) and storage problems
/// (``isUnstorable``: valid JSON that PostgreSQL's `jsonb`/`text` cannot hold, so only the event carrying it
/// is rejected).
package struct JSONScanError: Error, Sendable, Equatable, CustomStringConvertible {
    package enum Code: String, Sendable {
        case unexpectedEnd
        case unexpectedByte
        case invalidEscape
        case invalidNumber
        case controlCharacter
        case tooDeep
        case trailingData
        /// Bytes in a string that are not well-formed UTF-8.
        case invalidUTF8
        /// `\u0000`, which neither `text` nor `jsonb` can store.
        case nulCharacter
        /// A `\uD800`–`\uDFFF` escape not part of a surrogate pair.
        case loneSurrogate
    }

    package var code: Code
    /// Byte offset into the scanned buffer where the problem starts.
    package var offset: Int

    package init(_ code: Code, at offset: Int) {
        self.code = code
        self.offset = offset
    }

    /// Whether the text is valid JSON syntax that PostgreSQL cannot store (NUL, lone surrogate, bad UTF-8).
    package var isUnstorable: Bool {
        code == .nulCharacter || code == .loneSurrogate || code == .invalidUTF8
    }

    package var description: String {
        let what =
            switch code {
            case .unexpectedEnd: "unexpected end of JSON"
            case .unexpectedByte: "unexpected character in JSON"
            case .invalidEscape: "invalid escape in JSON string"
            case .invalidNumber: "invalid JSON number"
            case .controlCharacter: "unescaped control character in JSON string"
            case .tooDeep: "JSON nested too deeply"
            case .trailingData: "data after the JSON value"
            case .invalidUTF8: "invalid UTF-8 in JSON string"
            case .nulCharacter: "NUL character (\\u0000) in JSON string"
            case .loneSurrogate: "lone UTF-16 surrogate in JSON string"
            }
        return "\(what) at byte \(offset)"
    }
}

/// The kind of a JSON value.
package enum JSONKind: Sendable, Equatable {
    case object, array, string, number, boolean, null
}

/// A validating RFC 8259 JSON scanner over borrowed bytes that reports byte ranges instead of building values.
///
/// Callers iterate objects and arrays, take each value's byte range (kept as raw JSON text for `jsonb`) and
/// decode only the strings they need. The scanner borrows `bytes`: use it only inside the
/// `withUnsafeBytes` scope that produced them. Every range it returns indexes `bytes`.
///
/// Storage problems (see ``JSONScanError/isUnstorable``) do not stop a scan: the first one is recorded in
/// the caller's `unstorable` and scanning goes on, so a batch can reject one event and keep the others.
package struct JSONScanner {
    package let bytes: UnsafeRawBufferPointer
    /// The deepest nesting of objects and arrays accepted; the outermost container is depth 1.
    package let maxDepth: Int

    package init(_ bytes: UnsafeRawBufferPointer, maxDepth: Int = 64) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    /// One `"key": value` pair of an object: both ranges index ``bytes``; `key` includes its quotes.
    package struct Member {
        package var key: Range<Int>
        package var value: Range<Int>
    }

    // MARK: Entry points

    /// Validates that the whole buffer is one JSON value (with optional surrounding whitespace) that PostgreSQL
    /// can store, and returns the value's range.
    ///
    /// - Throws: the first syntax error, else the first storage problem.
    package func validateDocument() throws(JSONScanError) -> Range<Int> {
        var unstorable: JSONScanError?
        let range = try scanValue(from: 0, depth: 1, unstorable: &unstorable)
        let end = skipWhitespace(range.upperBound)
        guard end == bytes.count else { throw JSONScanError(.trailingData, at: end) }
        if let unstorable { throw unstorable }
        return range
    }

    /// Validates the value starting at `offset` (leading whitespace skipped) and returns its byte range.
    ///
    /// - Throws: the first syntax error, else the first storage problem.
    package func validateValue(at offset: Int) throws(JSONScanError) -> Range<Int> {
        var unstorable: JSONScanError?
        let range = try scanValue(from: offset, depth: 1, unstorable: &unstorable)
        if let unstorable { throw unstorable }
        return range
    }

    /// Scans the value starting at `offset` (leading whitespace skipped) and returns its byte range.
    ///
    /// - Parameters:
    ///   - depth: the nesting depth a container starting here would have (1 at the top level).
    ///   - unstorable: receives the first storage problem met, if it is still `nil`.
    /// - Throws: syntax errors only.
    package func scanValue(
        from offset: Int, depth: Int, unstorable: inout JSONScanError?
    ) throws(JSONScanError) -> Range<Int> {
        let start = skipWhitespace(offset)
        guard start < bytes.count else { throw JSONScanError(.unexpectedEnd, at: start) }
        let end: Int
        switch bytes[start] {
        case UInt8(ascii: "{"):
            end = try forEachMember(ofObjectAt: start, depth: depth, unstorable: &unstorable) {
                _, valueStart, valueDepth, unstorable throws(JSONScanError) in
                try scanValue(from: valueStart, depth: valueDepth, unstorable: &unstorable).upperBound
            }
        case UInt8(ascii: "["):
            end = try forEachElement(ofArrayAt: start, depth: depth, unstorable: &unstorable) {
                elementStart, elementDepth, unstorable throws(JSONScanError) in
                try scanValue(from: elementStart, depth: elementDepth, unstorable: &unstorable).upperBound
            }
        case UInt8(ascii: "\""):
            end = try scanString(at: start, unstorable: &unstorable)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            end = try scanNumber(at: start)
        case UInt8(ascii: "t"):
            end = try scanLiteral("true", at: start)
        case UInt8(ascii: "f"):
            end = try scanLiteral("false", at: start)
        case UInt8(ascii: "n"):
            end = try scanLiteral("null", at: start)
        default:
            throw JSONScanError(.unexpectedByte, at: start)
        }
        return start..<end
    }

    /// Iterates the members of the object whose `{` is at `start`, handing each to `body` with its value's
    /// range (already scanned). Returns the offset just past the closing `}`.
    package func forEachMember(
        ofObjectAt start: Int, depth: Int = 1, unstorable: inout JSONScanError?, _ body: (Member) -> Void
    ) throws(JSONScanError) -> Int {
        try forEachMember(ofObjectAt: start, depth: depth, unstorable: &unstorable) {
            key, valueStart, valueDepth, unstorable throws(JSONScanError) in
            let value = try scanValue(from: valueStart, depth: valueDepth, unstorable: &unstorable)
            body(Member(key: key, value: value))
            return value.upperBound
        }
    }

    /// Iterates the members of the object whose `{` is at `start`, letting `scanMember` scan each value itself.
    ///
    /// `scanMember` gets the key's range (with quotes), the offset where the value starts (whitespace may
    /// precede it), the depth a container value would have, and `unstorable`; it returns the offset just past
    /// the value. Returns the offset just past the closing `}`.
    package func forEachMember(
        ofObjectAt start: Int, depth: Int, unstorable: inout JSONScanError?,
        scanMember: (Range<Int>, Int, Int, inout JSONScanError?) throws(JSONScanError) -> Int
    ) throws(JSONScanError) -> Int {
        guard depth <= maxDepth else { throw JSONScanError(.tooDeep, at: start) }
        var index = skipWhitespace(start + 1)
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") { return index + 1 }
        while true {
            guard index < bytes.count else { throw JSONScanError(.unexpectedEnd, at: index) }
            guard bytes[index] == UInt8(ascii: "\"") else { throw JSONScanError(.unexpectedByte, at: index) }
            let keyEnd = try scanString(at: index, unstorable: &unstorable)
            let colon = skipWhitespace(keyEnd)
            guard colon < bytes.count else { throw JSONScanError(.unexpectedEnd, at: colon) }
            guard bytes[colon] == UInt8(ascii: ":") else { throw JSONScanError(.unexpectedByte, at: colon) }
            let valueEnd = try scanMember(index..<keyEnd, colon + 1, depth + 1, &unstorable)
            index = skipWhitespace(valueEnd)
            guard index < bytes.count else { throw JSONScanError(.unexpectedEnd, at: index) }
            switch bytes[index] {
            case UInt8(ascii: ","): index = skipWhitespace(index + 1)
            case UInt8(ascii: "}"): return index + 1
            default: throw JSONScanError(.unexpectedByte, at: index)
            }
        }
    }

    /// Iterates the elements of the array whose `[` is at `start`, letting `scanElement` scan each one.
    ///
    /// `scanElement` gets the element's first byte (whitespace skipped), the depth a container element would
    /// have, and `unstorable`; it returns the offset just past the element. Returns the offset just past `]`.
    package func forEachElement(
        ofArrayAt start: Int, depth: Int, unstorable: inout JSONScanError?,
        scanElement: (Int, Int, inout JSONScanError?) throws(JSONScanError) -> Int
    ) throws(JSONScanError) -> Int {
        guard depth <= maxDepth else { throw JSONScanError(.tooDeep, at: start) }
        var index = skipWhitespace(start + 1)
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") { return index + 1 }
        while true {
            guard index < bytes.count else { throw JSONScanError(.unexpectedEnd, at: index) }
            let elementEnd = try scanElement(index, depth + 1, &unstorable)
            index = skipWhitespace(elementEnd)
            guard index < bytes.count else { throw JSONScanError(.unexpectedEnd, at: index) }
            switch bytes[index] {
            case UInt8(ascii: ","): index = skipWhitespace(index + 1)
            case UInt8(ascii: "]"): return index + 1
            default: throw JSONScanError(.unexpectedByte, at: index)
            }
        }
    }

    // MARK: Reading scanned values

    /// The offset of the first non-whitespace byte at or after `offset` (JSON whitespace: space, tab, LF, CR).
    @inline(__always)
    package func skipWhitespace(_ offset: Int) -> Int {
        var index = offset
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return index
            }
        }
        return index
    }

    /// What kind of value the scanned value at `range` is, told by its first byte.
    @inline(__always)
    package func kind(of range: Range<Int>) -> JSONKind {
        switch bytes[range.lowerBound] {
        case UInt8(ascii: "{"): .object
        case UInt8(ascii: "["): .array
        case UInt8(ascii: "\""): .string
        case UInt8(ascii: "t"), UInt8(ascii: "f"): .boolean
        case UInt8(ascii: "n"): .null
        default: .number
        }
    }

    /// The bytes of `range` as text, exactly as they stand in the buffer (JSON text stays JSON text).
    ///
    /// `range` must be a scanned range free of storage problems, so the bytes are well-formed UTF-8.
    package func text(_ range: Range<Int>) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    /// The bytes between the quotes of the scanned string at `range`, escapes not decoded.
    @inline(__always)
    package func content(ofString range: Range<Int>) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: bytes[(range.lowerBound + 1)..<(range.upperBound - 1)])
    }

    /// The position in `names` of the name the scanned string at `key` (with quotes) spells, or `nil`.
    ///
    /// Compares raw bytes, decoding the key only when it contains an escape (`"user\u0049d"` is `userId`).
    /// `names` must be ASCII.
    package func index(ofKey key: Range<Int>, in names: [StaticString]) -> Int? {
        let raw = content(ofString: key)
        if raw.contains(UInt8(ascii: "\\")) {
            var decoded = decodeString(key)
            return decoded.withUTF8 { Self.index(of: UnsafeRawBufferPointer($0), in: names) }
        }
        return Self.index(of: raw, in: names)
    }

    private static func index(of text: UnsafeRawBufferPointer, in names: [StaticString]) -> Int? {
        for position in names.indices {
            let name = names[position]
            guard name.utf8CodeUnitCount == text.count else { continue }
            if text.count == 0 || memcmp(text.baseAddress!, name.utf8Start, text.count) == 0 { return position }
        }
        return nil
    }

    /// Whether the scanned strings at `first` and `second` (with quotes) stand for the same text.
    package func stringsEqual(_ first: Range<Int>, _ second: Range<Int>) -> Bool {
        let left = content(ofString: first)
        let right = content(ofString: second)
        if left.count == right.count
            && (left.count == 0 || memcmp(left.baseAddress!, right.baseAddress!, left.count) == 0)
        {
            return true
        }
        guard left.contains(UInt8(ascii: "\\")) || right.contains(UInt8(ascii: "\\")) else { return false }
        return decodeString(first) == decodeString(second)
    }

    /// Whether the scanned string at `range` (with quotes) equals `name`, comparing bytes unless it has escapes.
    package func string(_ range: Range<Int>, equals name: StaticString) -> Bool {
        let length = range.count - 2
        guard length >= 0 else { return false }
        let text = UnsafeRawBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)
        if length == text.count {
            var index = 0
            while index < length, bytes[range.lowerBound + 1 + index] == text[index] { index += 1 }
            if index == length { return true }
        }
        guard hasEscape(range) else { return false }
        return decodeString(range) == String(decoding: text, as: UTF8.self)
    }

    /// Whether the scanned string at `range` contains a backslash escape.
    package func hasEscape(_ range: Range<Int>) -> Bool {
        UnsafeRawBufferPointer(rebasing: bytes[range]).contains(UInt8(ascii: "\\"))
    }

    /// The text of the scanned string at `range` (with its quotes), escapes decoded.
    ///
    /// `range` must come from this scanner, which has validated it; an unpaired surrogate becomes U+FFFD.
    package func decodeString(_ range: Range<Int>) -> String {
        let inner = UnsafeRawBufferPointer(rebasing: bytes[(range.lowerBound + 1)..<(range.upperBound - 1)])
        guard inner.contains(UInt8(ascii: "\\")) else { return String(decoding: inner, as: UTF8.self) }
        var output: [UInt8] = []
        output.reserveCapacity(inner.count)
        var index = 0
        while index < inner.count {
            let byte = inner[index]
            guard byte == UInt8(ascii: "\\"), index + 1 < inner.count else {
                output.append(byte)
                index += 1
                continue
            }
            let escape = inner[index + 1]
            index += 2
            switch escape {
            case UInt8(ascii: "b"): output.append(0x08)
            case UInt8(ascii: "f"): output.append(0x0C)
            case UInt8(ascii: "n"): output.append(0x0A)
            case UInt8(ascii: "r"): output.append(0x0D)
            case UInt8(ascii: "t"): output.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = Self.hex4(inner, at: index) ?? 0xFFFD
                index += 4
                if (0xD800...0xDBFF).contains(scalar) {
                    if index + 6 <= inner.count, inner[index] == UInt8(ascii: "\\"),
                        inner[index + 1] == UInt8(ascii: "u"), let low = Self.hex4(inner, at: index + 2),
                        (0xDC00...0xDFFF).contains(low)
                    {
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        index += 6
                    } else {
                        scalar = 0xFFFD
                    }
                } else if (0xDC00...0xDFFF).contains(scalar) {
                    scalar = 0xFFFD
                }
                Self.appendUTF8(scalar, to: &output)
            default: output.append(escape)  // `"`, `\` and `/` stand for themselves.
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    // MARK: Scanning primitives

    /// Scans the string whose opening quote is at `start`; returns the offset past its closing quote.
    package func scanString(at start: Int, unstorable: inout JSONScanError?) throws(JSONScanError) -> Int {
        var index = start + 1
        let count = bytes.count
        while true {
            // Skip plain ASCII eight bytes at a time; stop at the first byte that needs a look.
            while index + 8 <= count {
                let special = Self.specialBytes(
                    UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self))
                )
                if special != 0 {
                    index += special.trailingZeroBitCount / 8
                    break
                }
                index += 8
            }
            guard index < count else { throw JSONScanError(.unexpectedEnd, at: index) }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") { return index + 1 }
            if byte >= 0x20 && byte < 0x80 && byte != UInt8(ascii: "\\") {
                index += 1
            } else if byte == UInt8(ascii: "\\") {
                index = try scanEscape(at: index, unstorable: &unstorable)
            } else if byte < 0x20 {
                throw JSONScanError(.controlCharacter, at: index)
            } else if let length = utf8SequenceLength(at: index) {
                index += length
            } else {
                if unstorable == nil { unstorable = JSONScanError(.invalidUTF8, at: index) }
                index += 1
            }
        }
    }

    /// A mask with bit 7 set in the first byte of `word` (in memory order) that is `"`, `\`, a control
    /// character or not ASCII, and possibly in later bytes; zero when all eight bytes are plain ASCII.
    ///
    /// The classic "has zero byte" test, `(x - 0x01…) & ~x & 0x80…`, is exact up to its first hit (a borrow
    /// only flags bytes after a real hit), so the lowest set bit always marks a real special byte.
    @inline(__always)
    private static func specialBytes(_ word: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highBits: UInt64 = 0x8080_8080_8080_8080
        let quote = word ^ (ones &* 0x22)
        let backslash = word ^ (ones &* 0x5C)
        let isQuote = (quote &- ones) & ~quote
        let isBackslash = (backslash &- ones) & ~backslash
        let isControl = (word &- ones &* 0x20) & ~word
        return (isQuote | isBackslash | isControl | word) & highBits
    }

    /// Scans the escape whose backslash is at `start`; returns the offset past it (past both halves of a
    /// surrogate pair).
    private func scanEscape(at start: Int, unstorable: inout JSONScanError?) throws(JSONScanError) -> Int {
        guard start + 1 < bytes.count else { throw JSONScanError(.unexpectedEnd, at: start + 1) }
        switch bytes[start + 1] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
            UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            return start + 2
        case UInt8(ascii: "u"):
            guard let unit = Self.hex4(bytes, at: start + 2) else {
                throw JSONScanError(start + 6 > bytes.count ? .unexpectedEnd : .invalidEscape, at: start)
            }
            let next = start + 6
            if unit == 0 {
                if unstorable == nil { unstorable = JSONScanError(.nulCharacter, at: start) }
            } else if (0xD800...0xDBFF).contains(unit) {
                // Only a directly following low-surrogate escape completes the pair; anything else leaves
                // the high half alone, which jsonb refuses.
                if next + 6 <= bytes.count, bytes[next] == UInt8(ascii: "\\"), bytes[next + 1] == UInt8(ascii: "u"),
                    let low = Self.hex4(bytes, at: next + 2), (0xDC00...0xDFFF).contains(low)
                {
                    return next + 6
                }
                if unstorable == nil { unstorable = JSONScanError(.loneSurrogate, at: start) }
            } else if (0xDC00...0xDFFF).contains(unit) {
                if unstorable == nil { unstorable = JSONScanError(.loneSurrogate, at: start) }
            }
            return next
        default:
            throw JSONScanError(.invalidEscape, at: start)
        }
    }

    /// The length of the well-formed UTF-8 multi-byte sequence at `start` (Unicode Table 3-7), or `nil`.
    private func utf8SequenceLength(at start: Int) -> Int? {
        let lead = bytes[start]
        let length: Int
        var low: UInt8 = 0x80
        var high: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; high = 0x9F
        case 0xF0: length = 4; low = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; high = 0x8F
        default: return nil
        }
        guard start + length <= bytes.count else { return nil }
        guard (low...high).contains(bytes[start + 1]) else { return nil }
        var index = start + 2
        while index < start + length {
            guard bytes[index] & 0xC0 == 0x80 else { return nil }
            index += 1
        }
        return length
    }

    /// Scans the number starting at `start` (`-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`).
    private func scanNumber(at start: Int) throws(JSONScanError) -> Int {
        var index = start
        let count = bytes.count
        @inline(__always) func isDigit(_ offset: Int) -> Bool {
            offset < count && bytes[offset] >= UInt8(ascii: "0") && bytes[offset] <= UInt8(ascii: "9")
        }
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard isDigit(index) else { throw JSONScanError(.invalidNumber, at: start) }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else {
            while isDigit(index) { index += 1 }
        }
        if index < count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard isDigit(index) else { throw JSONScanError(.invalidNumber, at: start) }
            while isDigit(index) { index += 1 }
        }
        if index < count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard isDigit(index) else { throw JSONScanError(.invalidNumber, at: start) }
            while isDigit(index) { index += 1 }
        }
        return index
    }

    private func scanLiteral(_ literal: StaticString, at start: Int) throws(JSONScanError) -> Int {
        let count = literal.utf8CodeUnitCount
        for offset in 0..<count {
            guard start + offset < bytes.count else { throw JSONScanError(.unexpectedEnd, at: start + offset) }
            guard bytes[start + offset] == literal.utf8Start[offset] else {
                throw JSONScanError(.unexpectedByte, at: start + offset)
            }
        }
        return start + count
    }

    /// The value of the four hex digits at `offset` in `buffer`, or `nil` when they are not all there.
    private static func hex4(_ buffer: UnsafeRawBufferPointer, at offset: Int) -> UInt32? {
        guard offset + 4 <= buffer.count else { return nil }
        var value: UInt32 = 0
        for index in offset..<(offset + 4) {
            let byte = buffer[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }

    private static func appendUTF8(_ scalar: UInt32, to output: inout [UInt8]) {
        switch scalar {
        case 0..<0x80:
            output.append(UInt8(scalar))
        case 0x80..<0x800:
            output.append(UInt8(0xC0 | scalar >> 6))
            output.append(UInt8(0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            output.append(UInt8(0xE0 | scalar >> 12))
            output.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            output.append(UInt8(0x80 | scalar & 0x3F))
        default:
            output.append(UInt8(0xF0 | scalar >> 18))
            output.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            output.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            output.append(UInt8(0x80 | scalar & 0x3F))
        }
    }
}
