import SluiceExperiments
import Testing

/// The JSON parser behind experiment files and traits: RFC 8259, strict, with offsets in its errors.
@Suite struct JSONValueTests {
    @Test func parsesEveryKindOfValue() throws {
        let value = try JSONValue(parsing: #" {"a": [1, -2.5e-3, true, false, null], "b": {"c": "d"}, "e": ""} "#)
        #expect(value["a"]?.array?.count == 5)
        #expect(value["a"]?.array?[1].double == -0.0025)
        #expect(value["b"]?["c"] == .string("d"))
        #expect(value["e"] == .string(""))
        #expect(value.jsonText == #"{"a":[1,-2.5e-3,true,false,null],"b":{"c":"d"},"e":""}"#)
    }

    @Test func decodesStringEscapes() throws {
        let value = try JSONValue(parsing: #""\"\\\/\b\f\n\r\t\u00e9\u20AC\ud83d\ude00""#)
        #expect(value == .string("\"\\/\u{8}\u{C}\n\r\té€😀"))
        // Written back with JSONString's escapes: only what JSON requires.
        #expect(value.jsonText == #""\"\\/\u0008\u000c\n\r\té€😀""#)
    }

    @Test(arguments: [
        ("", 0), ("{", 1), (#"{"a" 1}"#, 5), (#"{"a":1,}"#, 7), ("[1,]", 3), ("[1 2]", 3), ("01", 0), ("1.", 0),
        ("1e", 0), ("-", 0), ("tru", 0), ("nul", 0), (#""abc"#, 0), (#""\x""#, 1), (#""\u12G4""#, 1),
        (#""\ud83d""#, 1), (#""\ude00""#, 1), (#""\ud83d\u0041""#, 1), ("\"a\u{1}b\"", 2), ("{} {}", 3),
        ("NaN", 0), ("'a'", 0),
    ])
    func refusesInvalidJSON(text: String, offset: Int) {
        #expect {
            try JSONValue(parsing: text)
        } throws: { error in
            (error as? JSONSyntaxError)?.offset == offset
        }
    }

    @Test func refusesInvalidUTF8AndDeepNesting() {
        #expect(throws: JSONSyntaxError.self) { try JSONValue(parsing: [0x22, 0xC3, 0x28, 0x22]) }
        let deep =
            String(repeating: "[", count: JSONValue.maximumDepth + 1)
            + String(repeating: "]", count: JSONValue.maximumDepth + 1)
        #expect(throws: JSONSyntaxError.self) { try JSONValue(parsing: deep) }
        let deepest =
            String(repeating: "[", count: JSONValue.maximumDepth)
            + String(repeating: "]", count: JSONValue.maximumDepth)
        #expect((try? JSONValue(parsing: deepest)) != nil)
    }

    @Test func numbersKeepTheirLiteral() throws {
        for literal in ["0", "-0", "1.50", "1e3", "1E+3", "-12.5e-7", "123456789012345678901234567890"] {
            guard case .number(let number) = try JSONValue(parsing: literal) else {
                Issue.record("\(literal) is not a number")
                continue
            }
            #expect(number.text == literal)
            #expect(number.value == Double(literal))
        }
        #expect(JSONNumber.text(3) == "3")
        #expect(JSONNumber.text(-0.0) == "0")
        #expect(JSONNumber.text(0.1) == "0.1")
        #expect(JSONNumber.text(1e-7) == "1e-07")
        #expect(JSONNumber.text(.nan) == "null")
        #expect(JSONNumber(.infinity) == nil)
        // Swift's exponent form is valid JSON and reads back exactly.
        #expect(try JSONValue(parsing: JSONNumber.text(1e-7)).double == 1e-7)
    }
}
