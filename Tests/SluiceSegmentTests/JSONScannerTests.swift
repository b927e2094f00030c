import Testing

@testable import SluiceSegment

/// Validates `text` as a whole document; `nil` when accepted, else the error code.
private func validationError(_ text: String) -> JSONScanError.Code? {
    Array(text.utf8).withUnsafeBytes { bytes -> JSONScanError.Code? in
        do throws(JSONScanError) {
            _ = try JSONScanner(bytes).validateDocument()
            return nil
        } catch {
            return error.code
        }
    }
}

/// Validates `literal` (a JSON string literal) and decodes it.
private func decoded(_ literal: String) throws -> String {
    try Array(literal.utf8).withUnsafeBytes { bytes in
        let scanner = JSONScanner(bytes)
        let range = try scanner.validateDocument()
        return scanner.decodeString(range)
    }
}

@Suite struct JSONScannerTests {
    static let valid = [
        "{}", "[]", " { } ", "0", "-0", "-0.5e-3", "1E+10", "123.456", "\"\"", "true", "false", "null",
        #"{"a":[1,2,{"b":null}],"c":"d"}"#, #"[ "x" , 1 , true ]"#, "\"\\ud83d\\ude00\"", "\"😀 é\"",
        #""\"\\\/\b\f\n\r\t\u00e9""#, "\t\r\n[]\n",
        String(repeating: "[", count: 64) + String(repeating: "]", count: 64),
    ]

    @Test(arguments: valid)
    func acceptsValidJSON(_ text: String) {
        #expect(validationError(text) == nil)
    }

    static let invalid: [(String, JSONScanError.Code)] = [
        ("", .unexpectedEnd), ("{", .unexpectedEnd), ("[1,]", .unexpectedByte), (#"{"a":1,}"#, .unexpectedByte),
        ("01", .trailingData), ("[01]", .unexpectedByte), ("1.", .invalidNumber), ("-", .invalidNumber),
        (".5", .unexpectedByte), ("1e", .invalidNumber), ("+1", .unexpectedByte), ("tru", .unexpectedEnd),
        ("nul1", .unexpectedByte), ("{a:1}", .unexpectedByte), ("{\"a\" 1}", .unexpectedByte),
        ("\"abc", .unexpectedEnd), ("\"a\tb\"", .controlCharacter), (#""\x""#, .invalidEscape),
        (#""\u12G4""#, .invalidEscape), ("[] []", .trailingData), ("'a'", .unexpectedByte),
        (#""\u0000""#, .nulCharacter), (#""a\ud83d""#, .loneSurrogate), (#""\ude00x""#, .loneSurrogate),
        (#""\ud83d\u0041""#, .loneSurrogate), (#"{"k":"\ud800\ud800"}"#, .loneSurrogate),
        (String(repeating: "[", count: 65) + String(repeating: "]", count: 65), .tooDeep),
        ("[" + String(repeating: "{\"a\":", count: 64) + "1" + String(repeating: "}", count: 64) + "]", .tooDeep),
    ]

    @Test(arguments: invalid)
    func rejectsInvalidJSON(_ text: String, _ expected: JSONScanError.Code) {
        #expect(validationError(text) == expected)
    }

    @Test func rejectsMalformedUTF8InStrings() {
        for bytes: [UInt8] in [[0x22, 0xC3, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0xC0, 0xAF, 0x22]] {
            let code = bytes.withUnsafeBytes { buffer -> JSONScanError.Code? in
                do throws(JSONScanError) {
                    _ = try JSONScanner(buffer).validateDocument()
                    return nil
                } catch { return error.code }
            }
            #expect(code == .invalidUTF8)
        }
    }

    @Test func reportsTheOffsetOfAnError() {
        let error = Array(#"{"a": [1, 2,, 3]}"#.utf8).withUnsafeBytes { bytes in
            #expect(throws: JSONScanError.self) { try JSONScanner(bytes).validateDocument() }
        }
        #expect(error == JSONScanError(.unexpectedByte, at: 12))
        #expect(error?.description == "unexpected character in JSON at byte 12")
    }

    @Test func decodesEscapes() throws {
        #expect(try decoded(#""plain""#) == "plain")
        #expect(try decoded(#""a\"b\\c\/d""#) == "a\"b\\c/d")
        #expect(try decoded(#""\b\f\n\r\t""#) == "\u{8}\u{C}\n\r\t")
        #expect(try decoded(#""caf\u00e9 \u20AC""#) == "café €")
        #expect(try decoded(#""\ud83d\ude00!""#) == "😀!")
        #expect(try decoded("\"😀 é\"") == "😀 é")
    }

    @Test func iteratesMembersWithRawValueRanges() throws {
        let text = #"{"a": {"x": [1, "y"]}, "b" : "t\u0065xt", "c":null}"#
        let members: [(String, String)] = try Array(text.utf8).withUnsafeBytes { bytes in
            let scanner = JSONScanner(bytes)
            var unstorable: JSONScanError?
            var found: [(String, String)] = []
            let end = try scanner.forEachMember(ofObjectAt: 0, unstorable: &unstorable) { member in
                found.append(
                    (
                        scanner.decodeString(member.key),
                        String(decoding: UnsafeRawBufferPointer(rebasing: bytes[member.value]), as: UTF8.self)
                    )
                )
            }
            #expect(end == bytes.count)
            #expect(unstorable == nil)
            return found
        }
        #expect(members.map(\.0) == ["a", "b", "c"])
        #expect(members.map(\.1) == [#"{"x": [1, "y"]}"#, #""t\u0065xt""#, "null"])
    }

    @Test func matchesKeysWithAndWithoutEscapes() {
        Array(#"["userId","user\u0049d","user"]"#.utf8).withUnsafeBytes { bytes in
            let scanner = JSONScanner(bytes)
            #expect(scanner.string(1..<9, equals: "userId"))
            #expect(scanner.string(10..<23, equals: "userId"))
            #expect(!scanner.string(24..<30, equals: "userId"))
        }
    }
}

@Suite struct JSONScannerReadingTests {
    @Test func tellsValueKinds() throws {
        let text = #"[{}, [], "s", -1.5, true, false, null]"#
        let kinds: [JSONKind] = try Array(text.utf8).withUnsafeBytes { bytes in
            let scanner = JSONScanner(bytes)
            var unstorable: JSONScanError?
            var kinds: [JSONKind] = []
            _ = try scanner.forEachElement(ofArrayAt: 0, depth: 1, unstorable: &unstorable) {
                start, depth, unstorable throws(JSONScanError) in
                let range = try scanner.scanValue(from: start, depth: depth, unstorable: &unstorable)
                kinds.append(scanner.kind(of: range))
                return range.upperBound
            }
            return kinds
        }
        #expect(kinds == [.object, .array, .string, .number, .boolean, .boolean, .null])
    }

    @Test func findsKeysInATable() {
        let names: [StaticString] = ["type", "event", "userId", ""]
        Array(#"["type","event","user\u0049d","","types","Type","\u0074ype"]"#.utf8).withUnsafeBytes { bytes in
            let scanner = JSONScanner(bytes)
            #expect(scanner.index(ofKey: 1..<7, in: names) == 0)
            #expect(scanner.index(ofKey: 8..<15, in: names) == 1)
            #expect(scanner.index(ofKey: 16..<29, in: names) == 2)
            #expect(scanner.index(ofKey: 30..<32, in: names) == 3)
            #expect(scanner.index(ofKey: 33..<40, in: names) == nil)
            #expect(scanner.index(ofKey: 41..<47, in: names) == nil)
            #expect(scanner.index(ofKey: 48..<59, in: names) == 0)
        }
    }

    @Test func comparesStringsByTheirText() {
        Array(#"["ab","a\u0062","ab ","\"","\u0022"]"#.utf8).withUnsafeBytes { bytes in
            let scanner = JSONScanner(bytes)
            #expect(scanner.stringsEqual(1..<5, 6..<15))
            #expect(!scanner.stringsEqual(1..<5, 16..<21))
            #expect(scanner.stringsEqual(22..<26, 27..<35))
            #expect(scanner.text(1..<5) == #""ab""#)
            #expect(Array(scanner.content(ofString: 1..<5)) == Array("ab".utf8))
        }
    }

    @Test func keepsScanningPastStorageProblems() throws {
        let text = #"{"a":"\u0000","b":"\ud800","c":[1,{"d":true}]}"#
        let keys: [String] = try Array(text.utf8).withUnsafeBytes { bytes in
            let scanner = JSONScanner(bytes)
            var unstorable: JSONScanError?
            var keys: [String] = []
            let end = try scanner.forEachMember(ofObjectAt: 0, unstorable: &unstorable) { member in
                keys.append(scanner.decodeString(member.key))
            }
            #expect(end == bytes.count)
            #expect(unstorable == JSONScanError(.nulCharacter, at: 6))
            return keys
        }
        #expect(keys == ["a", "b", "c"])
    }
}
