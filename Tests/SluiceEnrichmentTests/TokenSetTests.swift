import Testing

@testable import SluiceEnrichment

@Suite struct TokenSetTests {
    private func matches(_ set: TokenSet, in text: String) -> [(token: Int, offset: Int)] {
        var text = text
        var found: [(Int, Int)] = []
        text.withUTF8 { bytes in
            set.forEachMatch(in: bytes) { token, offset in
                found.append((token, offset))
                return true
            }
        }
        return found
    }

    @Test func findsEveryOccurrenceInOrderOfOffset() {
        let set = TokenSet(["ab", "b", "abc", "c"], ignoringCase: false)
        let found = matches(set, in: "abcab")
        #expect(found.map(\.token) == [0, 2, 1, 3, 0, 1])
        #expect(found.map(\.offset) == [0, 0, 1, 2, 3, 4])
    }

    @Test func tokensAtTheEdgesAndLongerThanTheText() {
        let set = TokenSet(["Chrome", "Safari", "Safari!"], ignoringCase: false)
        #expect(matches(set, in: "Chrome/1 Safari").map(\.offset) == [0, 9])
        #expect(matches(set, in: "Safar").isEmpty)
        #expect(matches(set, in: "").isEmpty)
    }

    @Test func caseFolding() {
        let folding = TokenSet(["GoogleBot"], ignoringCase: true)
        #expect(matches(folding, in: "x GOOGLEBOT googlebot").map(\.offset) == [2, 12])
        let exact = TokenSet(["Mobi"], ignoringCase: false)
        #expect(matches(exact, in: "mobi MOBI Mobile").map(\.offset) == [10])
    }

    @Test func stopsWhenAsked() {
        let set = TokenSet(["a"], ignoringCase: false)
        var text = "aaaa"
        var calls = 0
        text.withUTF8 { bytes in
            set.forEachMatch(in: bytes) { _, _ in
                calls += 1
                return calls < 2
            }
        }
        #expect(calls == 2)
    }

    @Test func maskOfOccurrences() {
        let set = TokenSet(["x", "y", "z"], ignoringCase: false)
        var text = "zzx"
        #expect(text.withUTF8 { set.occurrences(in: $0) } == 0b101)
    }

    @Test func nonASCIIBytesAreComparedAsThemselves() {
        let set = TokenSet(["é"], ignoringCase: true)
        #expect(matches(set, in: "É é").map(\.offset) == [3])
    }
}
