import SluiceCore
import Testing

@testable import SluiceSegment

@Suite struct EventBuilderTests {
    // MARK: Rejections

    static let rejections: [(String, String)] = [
        ("1", "The batch item is not a JSON object."),
        (#""track""#, "The batch item is not a JSON object."),
        (#"[{"type":"track"}]"#, "The batch item is not a JSON object."),
        ("null", "The batch item is not a JSON object."),
        (#"{"event":"E","userId":"u"}"#, "The event has no type."),
        (#"{"type":null,"event":"E","userId":"u"}"#, "The event has no type."),
        (
            #"{"type":"purchase","userId":"u"}"#,
            "The event's type is not one of track, page, screen, identify, group or alias."
        ),
        (
            #"{"type":"Track","event":"E","userId":"u"}"#,
            "The event's type is not one of track, page, screen, identify, group or alias."
        ),
        (#"{"type":3,"userId":"u"}"#, "The event's type is not one of track, page, screen, identify, group or alias."),
        (#"{"type":"track","event":"E"}"#, "The event has neither a userId nor an anonymousId."),
        (#"{"type":"page","userId":null,"anonymousId":""}"#, "The event has neither a userId nor an anonymousId."),
        (#"{"type":"identify","userId":true}"#, "The event's userId is neither a string nor a number."),
        (#"{"type":"identify","anonymousId":{"id":1}}"#, "The event's anonymousId is neither a string nor a number."),
        (#"{"type":"track","userId":"u"}"#, "A track event needs a non-empty string event name."),
        (#"{"type":"track","event":"","userId":"u"}"#, "A track event needs a non-empty string event name."),
        (#"{"type":"track","event":5,"userId":"u"}"#, "A track event needs a non-empty string event name."),
        (#"{"type":"track","event":null,"userId":"u"}"#, "A track event needs a non-empty string event name."),
        (#"{"type":"group","userId":"u","groupId":{}}"#, "The event's groupId is neither a string nor a number."),
        (
            #"{"type":"alias","userId":"u","previousId":false}"#,
            "The event's previousId is neither a string nor a number."
        ),
        (
            #"{"type":"identify","userId":"u","messageId":["m"]}"#,
            "The event's messageId is neither a string nor a number."
        ),
        (
            #"{"type":"identify","userId":"u","properties":{"x":"a\u0000b"}}"#,
            "The event contains a NUL character (\\u0000), which PostgreSQL cannot store."
        ),
        (
            #"{"type":"identify","userId":"u\u0000"}"#,
            "The event contains a NUL character (\\u0000), which PostgreSQL cannot store."
        ),
        (
            #"{"type":"identify","userId":"u","context":{"k\ud800":1}}"#,
            "The event contains a lone UTF-16 surrogate, which PostgreSQL cannot store."
        ),
        (
            #"{"type":"identify","userId":"u","traits":{"x":"\udc00"}}"#,
            "The event contains a lone UTF-16 surrogate, which PostgreSQL cannot store."
        ),
        (
            #"{"type":"identify","userId":"u","integrations":{"x":"\ud83d"}}"#,
            "The event contains a lone UTF-16 surrogate, which PostgreSQL cannot store."
        ),
        (
            #"{"type":"identify","userId":"u","timestamp":"yesterday"}"#,
            "The event's timestamp is not an ISO-8601 date-time."
        ),
        (
            #"{"type":"identify","userId":"u","timestamp":1764000000}"#,
            "The event's timestamp is not an ISO-8601 date-time."
        ),
        (
            #"{"type":"identify","userId":"u","originalTimestamp":"2026-02-30T00:00:00Z"}"#,
            "The event's originalTimestamp is not an ISO-8601 date-time."
        ),
        (
            #"{"type":"identify","userId":"u","sentAt":"2026-11-23 noon"}"#,
            "The event's sentAt is not an ISO-8601 date-time."
        ),
        (
            #"{"type":"track","event":"E","userId":"u","properties":[1]}"#,
            "The event's properties is not a JSON object."
        ),
        (#"{"type":"page","userId":"u","properties":"x"}"#, "The event's properties is not a JSON object."),
        (#"{"type":"identify","userId":"u","traits":"x"}"#, "The event's traits is not a JSON object."),
        (#"{"type":"identify","userId":"u","context":"x"}"#, "The event's context is not a JSON object."),
    ]

    @Test(arguments: rejections)
    func rejectsInvalidEvents(_ event: String, _ reason: String) throws {
        #expect(try rejection(event) == reason)
    }

    @Test func rejectsByIndexAndKeepsTheValidEvents() throws {
        let batch = try decode(
            batchBody([
                #"{"type":"track","event":"Kept 0","userId":"u"}"#,
                #"{"type":"track","userId":"u"}"#,
                "17",
                #"{"type":"page","anonymousId":"a","name":"Kept 3"}"#,
                #"{"type":"unknown","userId":"u"}"#,
                #"{"type":"identify","userId":"u","traits":{"bad":"\u0000"}}"#,
                #"{"type":"screen","anonymousId":"a","name":"Kept 6"}"#,
            ])
        )
        #expect(batch.events.map(\.index) == [0, 3, 6])
        #expect(batch.events.map(\.row.event) == ["Kept 0", "Kept 3", "Kept 6"])
        #expect(batch.rejected.map(\.index) == [1, 2, 4, 5])
    }

    @Test func rejectsInvalidUTF8Bytes() throws {
        let prefix = Array(#"{"batch":[{"type":"identify","userId":"u","traits":{"name":""#.utf8)
        for bad: [UInt8] in [[0xFF], [0xC3], [0xED, 0xA0, 0x80], [0xC0, 0xAF], [0xF4, 0x90, 0x80, 0x80]] {
            let body = prefix + bad + Array(#""}},{"type":"identify","userId":"v"}]}"#.utf8)
            let batch = try decode(body)
            #expect(
                batch.rejected == [
                    SegmentRejection(index: 0, reason: "The event contains bytes that are not valid UTF-8.")
                ])
            #expect(batch.events.map(\.row.userID) == ["v"])
        }
        // Well-formed multi-byte text is fine.
        let good = prefix + Array("é€😀".utf8) + Array(#""}}]}"#.utf8)
        #expect(try decode(good).events.first?.row.traits == #"{"name":"é€😀"}"#)
    }

    @Test func limitsTheEventSize() throws {
        let limit = SegmentLimits().maxEventBytes
        #expect(limit == 32 * 1024)
        func event(bytes: Int) -> String {
            let frame = #"{"type":"track","event":"Big","userId":"u","properties":{"pad":""}}"#
            return #"{"type":"track","event":"Big","userId":"u","properties":{"pad":""#
                + String(repeating: "x", count: bytes - frame.utf8.count) + #""}}"#
        }
        #expect(event(bytes: limit).utf8.count == limit)
        let batch = try decode(batchBody([event(bytes: limit), event(bytes: limit + 1), event(bytes: limit)]))
        #expect(batch.events.map(\.index) == [0, 2])
        #expect(
            batch.rejected == [
                SegmentRejection(index: 1, reason: "The event is 32769 bytes long, over the limit of 32768.")
            ])
        // A single call is held to the same limit, and the limit is configurable.
        let single = try decode(event(bytes: limit + 1), call: .single(.track))
        #expect(single.rejected.map(\.index) == [0])
        let small = SegmentLimits(maxEventBytes: 100)
        #expect(try rejection(event(bytes: 100), limits: small) == nil)
        #expect(try rejection(event(bytes: 101), limits: small) != nil)
    }

    @Test func limitsTheMessageIDLength() throws {
        let limit = SegmentLimits().maxMessageIDLength
        func event(_ id: String) -> String { #"{"type":"identify","userId":"u","messageId":"\#(id)"}"# }
        #expect(try rejection(event(String(repeating: "m", count: limit))) == nil)
        #expect(
            try rejection(event(String(repeating: "m", count: limit + 1)))
                == "The messageId is longer than 100 characters.")
        // Characters, not bytes, count; escapes count as the character they stand for.
        #expect(try rejection(event(String(repeating: "é", count: limit))) == nil)
        #expect(try rejection(event(String(repeating: #"\u00e9"#, count: limit))) == nil)
        #expect(try rejection(event(String(repeating: "é", count: limit + 1))) != nil)
        let custom = SegmentLimits(maxMessageIDLength: 4)
        #expect(try rejection(event("abcd"), limits: custom) == nil)
        #expect(try rejection(event("abcde"), limits: custom) == "The messageId is longer than 4 characters.")
    }

    // MARK: Time

    @Test func correctsClockSkewWithSentAt() throws {
        // The client clock runs 10 minutes behind: it sent at 11:50:10 what happened at 11:50:00.
        let event = try accepted(
            #"{"type":"track","event":"E","userId":"u","originalTimestamp":"2026-11-23T11:50:00Z","sentAt":"2026-11-23T11:50:10Z"}"#
        )
        #expect(event.row.timestamp == Timestamp(iso8601: "2026-11-23T11:59:50Z"))
        #expect(event.row.sentAt == Timestamp(iso8601: "2026-11-23T11:50:10Z"))
        #expect(event.row.receivedAt == testReceivedAt)
    }

    @Test func usesTheBatchSentAtAndAServerTimestamp() throws {
        // A server SDK sends `timestamp` per event and `sentAt` once per batch, here with offsets and fractions.
        let batch = try decode(
            batchBody(
                [
                    #"{"type":"track","event":"E","userId":"u","timestamp":"2026-11-23T13:59:59.250+02:00"}"#,
                    #"{"type":"track","event":"E","userId":"u","timestamp":"2026-11-23T11:00:00Z","sentAt":"2026-11-23T11:00:01Z"}"#,
                    #"{"type":"track","event":"E","userId":"u","timestamp":"2026-11-23T11:00:00Z","sentAt":null}"#,
                ],
                extra: #""sentAt":"2026-11-23T12:00:05.250Z""#
            )
        )
        let rows = batch.events.map(\.row)
        #expect(rows[0].timestamp == Timestamp(iso8601: "2026-11-23T11:59:54Z"))
        #expect(rows[0].sentAt == Timestamp(iso8601: "2026-11-23T12:00:05.25Z"))
        #expect(rows[1].timestamp == Timestamp(iso8601: "2026-11-23T11:59:59Z"))
        #expect(rows[1].sentAt == Timestamp(iso8601: "2026-11-23T11:00:01Z"))
        #expect(rows[2].timestamp == Timestamp(iso8601: "2026-11-23T10:59:54.75Z"))
    }

    @Test func prefersOriginalTimestampToTimestamp() throws {
        let event = try accepted(
            #"{"type":"page","anonymousId":"a","timestamp":"2026-11-23T11:00:00Z","originalTimestamp":"2026-11-23T10:00:00Z","sentAt":"2026-11-23T10:00:30Z"}"#
        )
        #expect(event.row.timestamp == Timestamp(iso8601: "2026-11-23T11:59:30Z"))
    }

    @Test func takesTheTimeAsIsWithoutSentAt() throws {
        let event = try accepted(#"{"type":"page","anonymousId":"a","timestamp":"2026-11-20T08:15:30.123456Z"}"#)
        #expect(event.row.timestamp == Timestamp(iso8601: "2026-11-20T08:15:30.123456Z"))
        #expect(event.row.sentAt == nil)
        // Backfill is accepted as sent.
        let old = try accepted(#"{"type":"page","anonymousId":"a","originalTimestamp":"2026-09-01"}"#)
        #expect(old.row.timestamp == Timestamp(iso8601: "2026-09-01T00:00:00Z"))
    }

    @Test func usesReceivedAtWithoutAnEventTime() throws {
        let none = try accepted(#"{"type":"page","anonymousId":"a"}"#)
        #expect(none.row.timestamp == testReceivedAt)
        #expect(none.row.context == nil)
        let sentOnly = try accepted(
            #"{"type":"page","anonymousId":"a","sentAt":"2026-11-23T09:00:00Z","timestamp":null}"#)
        #expect(sentOnly.row.timestamp == testReceivedAt)
        #expect(sentOnly.row.sentAt == Timestamp(iso8601: "2026-11-23T09:00:00Z"))
    }

    @Test func replacesFutureTimesAndFlagsThem() throws {
        let future = try accepted(
            #"{"type":"track","event":"E","userId":"u","timestamp":"2026-11-25T12:00:00.5Z","context":{"locale":"en"}}"#
        )
        #expect(future.row.timestamp == testReceivedAt)
        let context = try #require(future.row.context.flatMap(jsonObject))
        #expect(context["locale"] as? String == "en")
        let flag = try #require(context["sluice"] as? [String: Any])
        #expect(flag["futureTimestampReplaced"] as? String == "2026-11-25T12:00:00.500000Z")
        #expect(
            future.row.context == #"{"locale":"en","sluice":{"futureTimestampReplaced":"2026-11-25T12:00:00.500000Z"}}"#
        )

        // Exactly at the limit is kept; the limit is configurable.
        let edge = try accepted(#"{"type":"track","event":"E","userId":"u","timestamp":"2026-11-24T12:00:00Z"}"#)
        #expect(edge.row.timestamp == Timestamp(iso8601: "2026-11-24T12:00:00Z"))
        #expect(edge.row.context == nil)
        let strict = try decode(
            batchBody([#"{"type":"track","event":"E","userId":"u","timestamp":"2026-11-23T12:00:02Z"}"#]),
            limits: SegmentLimits(maxFutureSeconds: 1)
        )
        #expect(strict.events.first?.row.timestamp == testReceivedAt)
        #expect(strict.events.first?.row.context == #"{"sluice":{"futureTimestampReplaced":"2026-11-23T12:00:02Z"}}"#)
    }

    @Test func judgesTheFutureAfterSkewCorrection() throws {
        // Two days ahead of the client's own sentAt: the corrected time is two days ahead of receivedAt.
        let ahead = try accepted(
            #"{"type":"track","event":"E","userId":"u","originalTimestamp":"2020-01-03T00:00:00Z","sentAt":"2020-01-01T00:00:00Z"}"#
        )
        #expect(ahead.row.timestamp == testReceivedAt)
        #expect(ahead.row.context == #"{"sluice":{"futureTimestampReplaced":"2026-11-25T12:00:00Z"}}"#)
        // A far-future client clock is fine when sentAt shows the same skew.
        let skewed = try accepted(
            #"{"type":"track","event":"E","userId":"u","originalTimestamp":"2030-01-01T00:00:00Z","sentAt":"2030-01-01T00:00:01Z"}"#
        )
        #expect(skewed.row.timestamp == Timestamp(iso8601: "2026-11-23T11:59:59Z"))
        #expect(skewed.row.context == nil)
    }

    @Test func rejectsEventsInheritingAnInvalidBatchSentAt() throws {
        let batch = try decode(
            batchBody(
                [
                    #"{"type":"identify","userId":"u"}"#,
                    #"{"type":"identify","userId":"u","sentAt":"2026-11-23T11:59:00Z"}"#,
                ],
                extra: #""sentAt":"soon""#
            )
        )
        #expect(
            batch.rejected == [SegmentRejection(index: 0, reason: "The batch's sentAt is not an ISO-8601 date-time.")])
        #expect(batch.events.map(\.index) == [1])
    }

    // MARK: Context

    @Test func mergesTheBatchContextAtTheTopLevel() throws {
        let batch = try decode(
            batchBody(
                [
                    #"{"type":"page","anonymousId":"a","context":{"page":{"url":"https://e.example/x"},"locale":"fr-FR","ip":"198.51.100.1"},"integrations":{"All":true}}"#,
                    #"{"type":"page","anonymousId":"b"}"#,
                ],
                extra: #"""
                    "context":{"library":{"name":"analytics-python","version":"2.3.0"},"locale":"en-US","page":{"path":"/batch","url":"https://batch.example/"},"ip":"203.0.113.9"},"integrations":{"Amplitude":false}
                    """#
            )
        )
        #expect(batch.rejected.isEmpty)
        let first = try #require(batch.events.first)
        // The event's keys win and come first; `page` is the event's whole, not a deep merge; no `ip`.
        #expect(
            first.row.context
                == #"{"page":{"url":"https://e.example/x"},"locale":"fr-FR","library":{"name":"analytics-python","version":"2.3.0"}}"#
        )
        #expect(first.hints.pageURL == "https://e.example/x")
        #expect(first.hints.pagePath == nil)
        #expect(first.hints.ip == "198.51.100.1")
        let second = try #require(batch.events.last)
        #expect(
            second.row.context
                == #"{"library":{"name":"analytics-python","version":"2.3.0"},"locale":"en-US","page":{"path":"/batch","url":"https://batch.example/"}}"#
        )
        #expect(second.hints.pagePath == "/batch")
        #expect(second.hints.ip == "203.0.113.9")
        // `integrations` is stored nowhere.
        for event in batch.events {
            for text in [event.row.properties, event.row.traits, event.row.context].compactMap({ $0 }) {
                #expect(!text.contains("integrations") && !text.contains("Amplitude") && !text.contains("All"))
            }
        }
    }

    @Test func comparesMergedKeysByTheirText() throws {
        let event = try accepted(
            #"{"type":"identify","userId":"u","context":{"loc\u0061le":"de","t\u0069mezone":"Europe/Berlin"}}"#,
            extra: #""context":{"locale":"en","timezone":"UTC","os":{"name":"Linux"}}"#
        )
        let context = try #require(event.row.context.flatMap(jsonObject))
        #expect(context.count == 3)
        #expect(context["locale"] as? String == "de")
        #expect(context["timezone"] as? String == "Europe/Berlin")
    }

    @Test func keepsTheClientIPOutOfTheStoredContext() throws {
        let event = try accepted(
            #"{"type":"track","event":"E","userId":"u","context":{"ip":"2001:db8::7","userAgent":"curl/8.5","i":"p"}}"#
        )
        #expect(event.row.context == #"{"userAgent":"curl/8.5","i":"p"}"#)
        #expect(event.hints.ip == "2001:db8::7")
        #expect(event.row.ip == nil)
        // An escaped key is still `ip`; only `ip` goes, and a context holding nothing else stays an object.
        let escaped = try accepted(#"{"type":"track","event":"E","userId":"u","context":{"\u0069p":"192.0.2.1"}}"#)
        #expect(escaped.row.context == "{}")
        #expect(escaped.hints.ip == "192.0.2.1")
        // A non-string ip is dropped from the context and gives no hint.
        let number = try accepted(#"{"type":"track","event":"E","userId":"u","context":{"ip":7,"locale":"en"}}"#)
        #expect(number.row.context == #"{"locale":"en"}"#)
        #expect(number.hints.ip == nil)
    }

    @Test func dropsAClientSentSluiceMember() throws {
        let event = try accepted(
            #"{"type":"track","event":"E","userId":"u","context":{"sluice":{"futureTimestampReplaced":"forged"},"a":1}}"#
        )
        #expect(event.row.context == #"{"a":1}"#)
        let replaced = try accepted(
            #"{"type":"track","event":"E","userId":"u","timestamp":"2027-01-01T00:00:00Z","context":{"sluice":1}}"#
        )
        #expect(replaced.row.context == #"{"sluice":{"futureTimestampReplaced":"2027-01-01T00:00:00Z"}}"#)
    }

    @Test func keepsContextWhitespaceAndNestingValid() throws {
        let event = try accepted(
            "{\"type\":\"track\",\"event\":\"E\",\"userId\":\"u\",\"context\" : { \"ip\" : \"192.0.2.1\" ,\n \"app\" : { \"name\" : [ 1 , { } ] } , \"x\":null } }",
            extra: "\"context\":{ \"library\" :\t{\"name\":\"k\"} }"
        )
        #expect(event.row.context == "{\"app\":{ \"name\" : [ 1 , { } ] },\"x\":null,\"library\":{\"name\":\"k\"}}")
    }

    @Test func rejectsOnlyEventsThatTakeAnUnstorableBatchContextMember() throws {
        let batch = try decode(
            batchBody(
                [
                    #"{"type":"identify","userId":"u"}"#,
                    #"{"type":"identify","userId":"v","context":{"app":{"name":"mine"}}}"#,
                ],
                extra: #""context":{"app":{"name":"a\u0000"},"locale":"en"}"#
            )
        )
        #expect(
            batch.rejected == [
                SegmentRejection(
                    index: 0, reason: "The event contains a NUL character (\\u0000), which PostgreSQL cannot store.")
            ])
        #expect(batch.events.map(\.row.context) == [#"{"app":{"name":"mine"},"locale":"en"}"#])
    }

    @Test func rejectsEventsWhenTheBatchContextIsNotAnObject() throws {
        let batch = try decode(batchBody([#"{"type":"identify","userId":"u"}"#], extra: #""context":[1]"#))
        #expect(batch.rejected == [SegmentRejection(index: 0, reason: "The batch's context is not a JSON object.")])
        let null = try decode(batchBody([#"{"type":"identify","userId":"u"}"#], extra: #""context":null"#))
        #expect(null.events.first?.row.context == nil)
    }

    // MARK: Hints and strings

    @Test func extractsHintsFromTheContext() throws {
        let event = try accepted(
            #"""
            {"type":"track","event":"E","anonymousId":"a","context":{
              "page":{"url":"https://shop.example/p?q=1","path":"/p","referrer":"https://www.google.com/","search":"?q=1","title":"P"},
              "campaign":{"source":"news","medium":"email","name":"winter","term":"mugs","content":"hero"},
              "location":{"country":"DE","city":"Berlin"},
              "userAgent":"Mozilla/5.0 (X11; Linux x86_64)","ip":"203.0.113.7"}}
            """#
        )
        #expect(
            event.hints
                == EventHints(
                    pageURL: "https://shop.example/p?q=1", pagePath: "/p", referrer: "https://www.google.com/",
                    search: "?q=1", campaignSource: "news", campaignMedium: "email", campaignName: "winter",
                    campaignTerm: "mugs", campaignContent: "hero", country: "DE",
                    userAgent: "Mozilla/5.0 (X11; Linux x86_64)", ip: "203.0.113.7"
                )
        )
    }

    @Test func fallsBackToPageCallProperties() throws {
        let properties =
            #""properties":{"url":"https://e.example/a?b=c","path":"/a","referrer":"https://r.example/","search":"?b=c"}"#
        let page = try accepted(
            #"{"type":"page","anonymousId":"a","context":{"page":{"path":"/ctx"}},"# + properties + "}")
        #expect(page.hints.pagePath == "/ctx")
        #expect(page.hints.pageURL == "https://e.example/a?b=c")
        #expect(page.hints.referrer == "https://r.example/")
        #expect(page.hints.search == "?b=c")
        // Only `page` calls fall back.
        let track = try accepted(#"{"type":"track","event":"E","anonymousId":"a","# + properties + "}")
        #expect(track.hints == EventHints())
        // Non-string values give no hint.
        let odd = try accepted(
            #"{"type":"page","anonymousId":"a","properties":{"path":5,"url":null},"context":{"userAgent":["x"]}}"#)
        #expect(odd.hints == EventHints())
    }

    @Test func unescapesStrings() throws {
        let event = try accepted(
            #"""
            {"type":"page","anonymousId":"line\nbreak","user\u0049d":"say \"hi\"","name":"Caf\u00e9 \ud83d\ude00",
             "properties":{"emoji":"\ud83d\ude00","tab":"a\tb"},"context":{"page":{"path":"/caf\u00e9\/menu"},"userAgent":"\\o/"}}
            """#
        )
        #expect(event.row.anonymousID == "line\nbreak")
        #expect(event.row.userID == "say \"hi\"")
        #expect(event.row.event == "Café 😀")
        #expect(event.hints.pagePath == "/café/menu")
        #expect(event.hints.userAgent == "\\o/")
        let properties = try #require(event.row.properties.flatMap(jsonObject))
        #expect(properties["emoji"] as? String == "😀")
        #expect(properties["tab"] as? String == "a\tb")
    }
}
