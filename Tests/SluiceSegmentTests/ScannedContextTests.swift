import Testing

@testable import SluiceSegment

@Suite struct ScannedContextTests {
    /// Scans `text` as a context object and hands the result to `body` while the bytes are alive.
    private func withContext(
        _ text: String, _ body: (ScannedContext, JSONScanner, JSONScanError?) throws -> Void
    ) throws {
        try Array(text.utf8).withUnsafeBytes { bytes in
            let scanner = JSONScanner(bytes)
            var unstorable: JSONScanError?
            let context = try ScannedContext.scan(objectAt: 0, depth: 1, with: scanner, unstorable: &unstorable)
            #expect(context.range == 0..<bytes.count)
            try body(context, scanner, unstorable)
        }
    }

    @Test func findsMembersAndHintFields() throws {
        let text = #"""
            {"ip":"192.0.2.1","page":{"url":"u","path":"/p","referrer":"r","search":"?s","title":"t"},
             "campaign":{"source":"s","medium":"m","name":"n","term":"t","content":"c","id":1},
             "location":{"country":"FR","city":"Lyon"},"userAgent":"UA","locale":"fr","sluice":{}}
            """#
        try withContext(text) { context, scanner, unstorable in
            #expect(unstorable == nil)
            #expect(context.members.map(\.name) == [.ip, .page, .campaign, .location, .userAgent, .other, .sluice])
            #expect(
                context.members.map { scanner.decodeString($0.key) } == [
                    "ip", "page", "campaign", "location", "userAgent", "locale", "sluice",
                ])
            #expect(context.members.map { scanner.text($0.value) }[5] == #""fr""#)
            #expect(context.hasDroppedMembers)
            let strings: (Range<Int>?) -> String? = { $0.map(scanner.decodeString) }
            #expect(strings(context.page?.url) == "u")
            #expect(strings(context.page?.path) == "/p")
            #expect(strings(context.page?.referrer) == "r")
            #expect(strings(context.page?.search) == "?s")
            #expect(strings(context.campaign?.source) == "s")
            #expect(strings(context.campaign?.medium) == "m")
            #expect(strings(context.campaign?.name) == "n")
            #expect(strings(context.campaign?.term) == "t")
            #expect(strings(context.campaign?.content) == "c")
            #expect(strings(context.location?.country) == "FR")
            #expect(strings(context.userAgent) == "UA")
            #expect(strings(context.ip) == "192.0.2.1")
        }
    }

    @Test func notesPresenceEvenWithoutFields() throws {
        try withContext(#"{"page":"not an object","campaign":{"source":7},"location":null}"#) { context, _, _ in
            #expect(context.page != nil && context.page?.url == nil)
            #expect(context.campaign != nil && context.campaign?.source == nil)
            #expect(context.location != nil && context.location?.country == nil)
            #expect(context.userAgent == nil && context.ip == nil)
            #expect(!context.hasDroppedMembers)
        }
        try withContext("{}") { context, _, _ in
            #expect(context.members.isEmpty && context.page == nil && context.campaign == nil)
        }
    }

    @Test func keepsTheLastOfDuplicateMembers() throws {
        try withContext(#"{"page":{"path":"/first"},"page":{"url":"second"}}"#) { context, scanner, _ in
            #expect(context.members.count == 2)
            #expect(context.page?.path == nil)
            #expect(context.page?.url.map(scanner.decodeString) == "second")
        }
    }

    @Test func recordsStorageProblemsPerMember() throws {
        try withContext(#"{"a":"ok","b":{"x":"\u0000"},"c\udc00":1,"d":[]}"#) { context, _, unstorable in
            #expect(context.members.map { $0.problem?.code } == [nil, .nulCharacter, .loneSurrogate, nil])
            #expect(unstorable?.code == .nulCharacter)
        }
    }

    @Test func matchesKeysAcrossContexts() throws {
        let text = #"[{"locale":"a","ip":1,"app":2},{"loc\u0061le":"b","app":3,"ip":4,"os":5}]"#
        try Array(text.utf8).withUnsafeBytes { bytes in
            let scanner = JSONScanner(bytes)
            var unstorable: JSONScanError?
            let first = try ScannedContext.scan(objectAt: 1, depth: 2, with: scanner, unstorable: &unstorable)
            let start = scanner.skipWhitespace(first.range.upperBound + 1)
            let second = try ScannedContext.scan(objectAt: start, depth: 2, with: scanner, unstorable: &unstorable)
            #expect(second.members.map { first.hasKey(of: $0, in: scanner) } == [true, true, true, false])
            #expect(second.members.map(ScannedContext.isDropped) == [false, false, true, false])
        }
    }
}
