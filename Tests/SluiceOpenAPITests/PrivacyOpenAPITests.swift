import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `POST /v1/privacy/forget`'s real answers against the schemas docs/openapi.yaml gives them.
@Suite struct PrivacyOpenAPITests {
    @Test func forgetAnswersFitTheDocumentedSchemas() async throws {
        let document = try OpenAPIDocumentTests.document()
        let checker = SchemaChecker(document: document)
        let operation = try #require(
            ((document["paths"] as? [String: Any])?["/v1/privacy/forget"] as? [String: Any])?["post"]
                as? [String: Any])
        let responses = try #require(operation["responses"] as? [String: Any])
        func schema(_ status: Int) throws -> Any {
            var response = try #require(responses[String(status)] as? [String: Any], "\(status) not documented")
            if let reference = response["$ref"] as? String {
                response = checker.resolve(reference) as? [String: Any] ?? [:]
            }
            return try #require(
                ((response["content"] as? [String: Any])?["application/json"] as? [String: Any])?["schema"])
        }
        try await OpenAPIDocumentTests.withServer { _, baseURL, keys in
            for (body, key, status) in [
                (#"{"userId":"u"}"#, keys.readKey, 200), (#"{"anonymousId":"a"}"#, keys.readKey, 200),
                ("{}", keys.readKey, 400), ("nope", keys.readKey, 400), (#"{"userId":"u"}"#, keys.project.writeKey, 401),
            ] {
                var request = URLRequest(url: try #require(URL(string: baseURL + "/v1/privacy/forget")))
                request.httpMethod = "POST"
                request.httpBody = Data(body.utf8)
                request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization")
                let (data, response) = try await URLSession.shared.data(for: request)
                #expect(try #require(response as? HTTPURLResponse).statusCode == status, "\(body)")
                let problems = checker.problems(try JSONSerialization.jsonObject(with: data), try schema(status))
                #expect(problems.isEmpty, "\(body) \(status): \(problems) in \(String(decoding: data, as: UTF8.self))")
            }
        }
    }
}
