import SluiceCore
import Testing

@testable import SluiceSegment

@Suite struct SegmentDecoderTests {
    static let everyCall = [
        #"{"type":"track","event":"Order Completed","userId":"u1","properties":{"total":12.5,"items":[1,2]}}"#,
        #"{"type":"page","name":"Home","anonymousId":"a2","properties":{"path":"/"}}"#,
        #"{"type":"screen","name":"Settings","userId":"u3","properties":{"tab":"privacy"}}"#,
        #"{"type":"identify","userId":"u4","traits":{"email":"x@example.com","plan":"pro"}}"#,
        #"{"type":"group","userId":"u5","groupId":"g5","traits":{"name":"Acme"}}"#,
        #"{"type":"alias","userId":"u6","previousId":"a6"}"#,
    ]

    @Test func decodesEveryCallTypeInABatch() throws {
        let batch = try decode(batchBody(Self.everyCall))
        #expect(batch.rejected.isEmpty)
        #expect(batch.writeKey == nil)
        let rows = batch.events.map(\.row)
        #expect(batch.events.map(\.index) == [0, 1, 2, 3, 4, 5])
        #expect(rows.map(\.type) == [.track, .page, .screen, .identify, .group, .alias])
        #expect(rows.map(\.event) == ["Order Completed", "Home", "Settings", nil, nil, nil])
        #expect(rows.map(\.userID) == ["u1", nil, "u3", "u4", "u5", "u6"])
        #expect(rows.map(\.anonymousID) == [nil, "a2", nil, nil, nil, nil])
        #expect(rows.map(\.groupID) == [nil, nil, nil, nil, "g5", nil])
        #expect(rows.map(\.previousID) == [nil, nil, nil, nil, nil, "a6"])
        #expect(
            rows.map(\.properties) == [
                #"{"total":12.5,"items":[1,2]}"#, #"{"path":"/"}"#, #"{"tab":"privacy"}"#, nil, nil, nil,
            ])
        #expect(
            rows.map(\.traits) == [nil, nil, nil, #"{"email":"x@example.com","plan":"pro"}"#, #"{"name":"Acme"}"#, nil])
        #expect(rows.allSatisfy { $0.timestamp == testReceivedAt && $0.sentAt == nil && $0.context == nil })
        #expect(rows.allSatisfy { $0.sessionID == nil && $0.ip == nil && $0.pagePath == nil && !$0.isBot })
    }

    @Test(arguments: EventType.allCases)
    func decodesEverySingleCall(_ type: EventType) throws {
        let body = #"""
            {"writeKey":"wk_single","userId":"u1","event":"Signed Up","name":"Pricing","groupId":"g1",
             "previousId":"p1","properties":{"plan":"pro"},"traits":{"age":3},"context":{"locale":"de-DE"}}
            """#
        let batch = try decode(body, call: .single(type))
        #expect(batch.writeKey == "wk_single")
        #expect(batch.rejected.isEmpty)
        let event = try #require(batch.events.first)
        #expect(batch.events.count == 1)
        #expect(event.index == 0)
        let row = event.row
        #expect(row.type == type)
        #expect(row.userID == "u1")
        #expect(row.context == #"{"locale":"de-DE"}"#)
        switch type {
        case .track:
            #expect(row.event == "Signed Up")
            #expect(row.properties == #"{"plan":"pro"}"#)
            #expect(row.traits == nil)
        case .page, .screen:
            #expect(row.event == "Pricing")
            #expect(row.properties == #"{"plan":"pro"}"#)
            #expect(row.traits == nil)
        case .identify:
            #expect(row.event == nil && row.properties == nil)
            #expect(row.traits == #"{"age":3}"#)
        case .group:
            #expect(row.groupID == "g1")
            #expect(row.traits == #"{"age":3}"#)
        case .alias:
            #expect(row.previousID == "p1")
            #expect(row.properties == nil && row.traits == nil)
        }
        #expect(type == .group || row.groupID == nil)
        #expect(type == .alias || row.previousID == nil)
    }

    @Test func singleCallTakesItsTypeFromThePath() throws {
        let batch = try decode(#"{"type":"track","anonymousId":"a","name":"Docs"}"#, call: .single(.page))
        #expect(batch.events.first?.row.type == .page)
        #expect(batch.events.first?.row.event == "Docs")
        // A body without `type` is fine for a single call.
        let identify = try decode(#"{"userId":"u"}"#, call: .single(.identify))
        #expect(identify.events.first?.row.type == .identify)
    }

    @Test func singleCallRejectionIsIndexZero() throws {
        let batch = try decode(#"{"userId":"u","properties":{}}"#, call: .single(.track))
        #expect(batch.events.isEmpty)
        #expect(
            batch.rejected == [SegmentRejection(index: 0, reason: "A track event needs a non-empty string event name.")]
        )
    }

    @Test func returnsTheWriteKeyOfABatchBody() throws {
        let event = #"{"type":"identify","userId":"u"}"#
        #expect(try decode(batchBody([event], extra: #""writeKey":"wk_\u0041BC""#)).writeKey == "wk_ABC")
        #expect(try decode(#"{"writeKey":"wk_first","batch":[]}"#).writeKey == "wk_first")
        #expect(try decode(batchBody([event], extra: #""writeKey":42"#)).writeKey == nil)
        #expect(try decode(batchBody([event])).writeKey == nil)
    }

    @Test func acceptsAnEmptyBatchAndWhitespaceAroundTheBody() throws {
        let batch = try decode(" \n\t{ \"batch\" : [ ] } \r\n")
        #expect(batch.events.isEmpty && batch.rejected.isEmpty)
    }

    static let requestErrors: [(String, SegmentCall, SegmentRequestError.Code)] = [
        ("", .batch, .invalidJSON),
        ("   ", .batch, .invalidJSON),
        ("not json", .batch, .invalidJSON),
        (#"{"batch":[]"#, .batch, .invalidJSON),
        (#"{"batch":[]} {}"#, .batch, .invalidJSON),
        (#"{"batch":[{"type":"track",}]}"#, .batch, .invalidJSON),
        // A syntax error after valid events fails the whole request.
        (#"{"batch":[{"type":"identify","userId":"u"}],"sentAt":"2026-11-23T12:00:00Z",}"#, .batch, .invalidJSON),
        ("{'batch':[]}", .batch, .invalidJSON),
        ("[]", .batch, .notAnObject),
        (#"[{"type":"track"}]"#, .batch, .notAnObject),
        (#""batch""#, .batch, .notAnObject),
        ("null", .batch, .notAnObject),
        ("42", .batch, .notAnObject),
        (#""\u0000""#, .batch, .notAnObject),
        ("{}", .batch, .missingBatch),
        (#"{"batch":{}}"#, .batch, .missingBatch),
        (#"{"batch":null}"#, .batch, .missingBatch),
        (#"{"Batch":[]}"#, .batch, .missingBatch),
        (#"{"batch":[],"batch":"later wins"}"#, .batch, .missingBatch),
        ("[]", .single(.track), .notAnObject),
        (#"{"userId":"u""#, .single(.identify), .invalidJSON),
        (#"{"userId":"u"}}"#, .single(.identify), .invalidJSON),
    ]

    @Test(arguments: requestErrors)
    func refusesMalformedRequests(_ body: String, _ call: SegmentCall, _ code: SegmentRequestError.Code) {
        let error = requestError(body, call: call)
        #expect(error?.code == code)
        #expect(error.map { !$0.message.isEmpty } == true)
    }

    @Test func reportsWhereTheJSONIsBroken() {
        let error = requestError(#"{"batch":[1,,2]}"#)
        #expect(
            error
                == SegmentRequestError(
                    .invalidJSON, "The request body is not valid JSON: unexpected character in JSON at byte 12."))
        #expect(
            error?.description
                == "invalid_json: The request body is not valid JSON: unexpected character in JSON at byte 12.")
    }

    @Test func refusesEveryTruncationOfAValidBody() throws {
        let body = batchBody(
            [#"{"type":"track","event":"E \u00e9","userId":"u","properties":{"a":[1,2.5e3,true,null]}}"#],
            extra: #""sentAt":"2026-11-23T12:00:00Z""#
        )
        #expect(try decode(body).events.count == 1)
        let bytes = Array(body.utf8)
        for length in 0..<bytes.count {
            do throws(SegmentRequestError) {
                _ = try decode(Array(bytes[0..<length]))
                Issue.record("a body cut to \(length) bytes was accepted")
            } catch {
                #expect(error.code == .invalidJSON, "cut to \(length) bytes")
            }
        }
    }

    @Test func acceptsTheLargestBatch() throws {
        let event = #"{"type":"track","event":"E","anonymousId":"a"}"#
        let batch = try decode(batchBody(Array(repeating: event, count: 2_500)))
        #expect(batch.events.count == 2_500)
        #expect(batch.rejected.isEmpty)
        #expect(batch.events.last?.index == 2_499)
        #expect(Set(batch.events.map(\.row.messageID)).count == 2_500)
    }

    @Test func refusesABatchOverTheLimit() throws {
        let event = #"{"type":"track","event":"E","anonymousId":"a"}"#
        let error = requestError(batchBody(Array(repeating: event, count: 2_501)))
        #expect(error?.code == .tooManyEvents)
        #expect(error?.message == "The batch holds 2501 events; at most 2500 are accepted.")
        // Items that are not events count as well, and a configured limit applies.
        let limits = SegmentLimits(maxBatchEvents: 2)
        #expect(throws: SegmentRequestError.self) { try decode("{\"batch\":[1,2,3]}", limits: limits) }
        #expect(try decode("{\"batch\":[1,2]}", limits: limits).rejected.count == 2)
    }

    @Test func refusesBodiesNestedTooDeeply() throws {
        // The body is depth 1, the batch 2, the event 3 and its properties 4; `innermost` is the depth of the
        // innermost object.
        func body(innermost: Int) -> String {
            let levels = innermost - 3
            let open = String(repeating: #"{"a":"#, count: levels)
            let close = String(repeating: "}", count: levels)
            return batchBody([#"{"type":"track","event":"Deep","userId":"u","properties":"# + open + "1" + close + "}"])
        }
        let deepest = try decode(body(innermost: SegmentDecoder.maxDepth))
        #expect(deepest.events.count == 1)
        #expect(requestError(body(innermost: SegmentDecoder.maxDepth + 1))?.code == .nestingTooDeep)
        // Far deeper input is refused without exhausting the stack.
        let hostile = #"{"batch":["# + String(repeating: "[", count: 200_000)
        #expect(requestError(hostile)?.code == .nestingTooDeep)
        let hostileSingle = String(repeating: #"{"a":"#, count: 100_000)
        #expect(requestError(hostileSingle, call: .single(.track))?.code == .nestingTooDeep)
    }

    @Test func acceptsNumbersAsIdentifiers() throws {
        let event = try accepted(
            #"{"type":"group","userId":12345,"anonymousId":-7,"groupId":9007199254740993,"messageId":42}"#)
        #expect(event.row.userID == "12345")
        #expect(event.row.anonymousID == "-7")
        #expect(event.row.groupID == "9007199254740993")
        #expect(event.row.messageID == "42")
        let alias = try accepted(#"{"type":"alias","userId":1.5,"previousId":0}"#)
        #expect(alias.row.userID == "1.5")
        #expect(alias.row.previousID == "0")
    }

    @Test func generatesMessageIDsOnlyForAcceptedEventsWithoutOne() throws {
        let batch = try decode(
            batchBody([
                #"{"type":"track","event":"A","userId":"u"}"#,
                #"{"type":"track","event":"B","userId":"u","messageId":"client-1"}"#,
                #"{"type":"track","userId":"u"}"#,
                #"{"type":"track","event":"D","userId":"u","messageId":null}"#,
                #"{"type":"track","event":"E","userId":"u","messageId":""}"#,
            ])
        )
        #expect(batch.events.map(\.row.messageID) == ["generated-1", "client-1", "generated-2", "generated-3"])
        #expect(batch.events.map(\.index) == [0, 1, 3, 4])
        #expect(batch.rejected.map(\.index) == [2])
    }

    @Test func decodesFromARawBuffer() throws {
        let body = Array(#"{"batch":[{"type":"identify","userId":"u"}]}"#.utf8)
        let batch = try body.withUnsafeBytes { bytes in
            try SegmentDecoder().decode(bytes, call: .batch, projectID: 3, receivedAt: testReceivedAt) { "m" }
        }
        #expect(batch.events.map(\.row.projectID) == [3])
        #expect(batch.events.map(\.row.messageID) == ["m"])
    }

    @Test func namesErrorCodesStably() {
        let codes: [SegmentRequestError.Code] = [
            .invalidJSON, .nestingTooDeep, .notAnObject, .missingBatch, .tooManyEvents,
        ]
        #expect(
            codes.map(\.name) == [
                "invalid_json", "nesting_too_deep", "not_an_object", "missing_batch", "too_many_events",
            ])
        #expect(Set(codes).count == codes.count)
    }
}
