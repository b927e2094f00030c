import SluiceTracker
import Testing

@Suite struct TrackerMinifierTests {
    @Test func removesCommentsAndTheWhitespaceBetweenPunctuation() throws {
        let source = """
            // a comment of its own
            function f(a, b) {
                /* a block
                   comment */
                var x = a + b; // trailing
                return x;
            }
            """
        #expect(try TrackerMinifier.minify(source) == "function f(a,b){var x=a+b;return x}")
    }

    @Test func keepsStringsVerbatim() throws {
        let source = #"var u = 'http://a.b/ // not a comment', v = "it's \"quoted\"  ";"#
        #expect(try TrackerMinifier.minify(source) == #"var u='http://a.b/ // not a comment',v="it's \"quoted\"  ";"#)
    }

    @Test func keepsTheSpaceThatSeparatesTokens() throws {
        #expect(try TrackerMinifier.minify("a + +b; c - -d; e + f; return  x") == "a+ +b;c- -d;e+f;return x")
        #expect(try TrackerMinifier.minify("typeof\nx") == "typeof x")
    }

    @Test func dropsTheSemicolonBeforeABrace() throws {
        #expect(try TrackerMinifier.minify("if (a) { b(); }\nc(';}');") == "if(a){b()}c(';}');")
    }

    @Test func refusesWhatItCannotMinify() {
        for source in ["var s = `template`;", "var s = 'open", "var s = 'line\nbreak';", "a(); /* open"] {
            #expect(throws: TrackerError.self, "\(source)") { try TrackerMinifier.minify(source) }
        }
    }
}
