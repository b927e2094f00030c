import SluiceRetention
import Testing

@Suite struct ForgetRequestTests {
    func read(_ text: String) -> Result<ForgetRequest, ForgetRequest.Refusal> {
        Result { () throws(ForgetRequest.Refusal) in try ForgetRequest(json: Array(text.utf8)) }
    }

    @Test func takesExactlyOneOfTheIds() throws {
        #expect(try read(#"{"userId":"u-1"}"#).get() == ForgetRequest(field: .userId, id: "u-1"))
        #expect(try read(#"{"anonymousId":"a-1","other":3}"#).get() == ForgetRequest(field: .anonymousId, id: "a-1"))
        #expect(try read(#"{"userId":null,"anonymousId":"a-1"}"#).get().field == .anonymousId, "null counts as absent")
        let long = String(repeating: "é", count: ForgetRequest.maximumLength)
        #expect(try read(#"{"userId":"\#(long)"}"#).get().id == long, "1,000 characters, 2,000 bytes")
    }

    @Test func refusesNamingTheField() {
        let cases: [(String, String, String)] = [
            ("not json", "body", "not JSON"),
            ("[1]", "body", "object"),
            (#""u-1""#, "body", "object"),
            ("{}", "userId", "required"),
            (#"{"userId":"u","anonymousId":"a"}"#, "anonymousId", "must not be sent with userId"),
            (#"{"userId":42}"#, "userId", "string"),
            (#"{"anonymousId":""}"#, "anonymousId", "empty"),
            (#"{"userId":"a\u0000b"}"#, "userId", "NUL"),
            (#"{"userId":"\#(String(repeating: "x", count: 1_001))"}"#, "userId", "1001 characters"),
        ]
        for (body, field, words) in cases {
            switch read(body) {
            case .success(let request):
                Issue.record("\(body) was taken as \(request)")
            case .failure(let refusal):
                #expect(refusal.field == field, "\(body)")
                #expect(refusal.message.hasPrefix(field) && refusal.message.contains(words), "\(body): \(refusal)")
            }
        }
    }

    @Test func theSummaryIsCountsOnly() {
        let summary = ForgetSummary(
            ids: 3, events: 41, sessions: 6, assignments: 1, otherRows: 2, bucketsRecomputed: 9, rollupsRecomputed: true)
        #expect(
            summary.json
                == #"{"erased":{"ids":3,"events":41,"sessions":6,"assignments":1,"otherRows":2},"#
                + #""rollups":{"bucketsRecomputed":9,"pending":false}}"#)
    }
}
