import Foundation
import SluiceTestSupport
import SluiceTracker
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// CORS on the Segment endpoints and the tracker script, through real HTTP against a real server and database.
@Suite struct IngestCORSTests {
    static let paths = ["/v1/batch", "/v1/track", "/v1/page", "/v1/screen", "/v1/identify", "/v1/group", "/v1/alias"]

    @Test func preflightAllowsAnyOriginToPost() async throws {
        let harness = try await offThePool { try IngestHarness(label: "corspreflight") }
        defer { harness.removeSpool() }
        try await harness.withServer { server in
            for path in Self.paths {
                var request = URLRequest(url: URL(string: server.baseURL + path)!)
                request.httpMethod = "OPTIONS"
                request.setValue("https://shop.example", forHTTPHeaderField: "Origin")
                request.setValue("POST", forHTTPHeaderField: "Access-Control-Request-Method")
                request.setValue("content-type, authorization", forHTTPHeaderField: "Access-Control-Request-Headers")
                let answer = try await HTTP.send(request)
                #expect(answer.status == 204, "\(path)")
                #expect(answer.headers["access-control-allow-origin"] == "*", "\(path)")
                let methods = Set((answer.headers["access-control-allow-methods"] ?? "").split(separator: ",").map {
                    $0.trimmingCharacters(in: .whitespaces)
                })
                #expect(methods == ["POST", "OPTIONS"], "\(path)")
                let headers = (answer.headers["access-control-allow-headers"] ?? "").lowercased()
                #expect(headers.contains("content-type") && headers.contains("authorization"), "\(path)")
                #expect(answer.headers["access-control-max-age"] == String(IngestCORS.maxAge), "\(path)")
            }
            // An OPTIONS that is no preflight: answered, without CORS headers.
            var plain = URLRequest(url: URL(string: server.baseURL + "/v1/batch")!)
            plain.httpMethod = "OPTIONS"
            let answer = try await HTTP.send(plain)
            #expect(answer.status == 204)
            #expect(answer.headers["allow"] == "POST, OPTIONS")
            #expect(answer.headers["access-control-allow-origin"] == nil)
        }
    }

    /// What sendBeacon sends: text/plain, the write key in the body, an Origin; stored, and answered with CORS.
    @Test func beaconShapedPostFromAnotherOriginIsStored() async throws {
        let harness = try await offThePool { try IngestHarness(label: "corsbeacon") }
        defer { harness.removeSpool() }
        try await harness.withServer { server in
            let body = Events.batch([Events.track("cors-1")], extra: #","writeKey":"\#(harness.writeKey)""#)
            let answer = try await HTTP.post(
                server.baseURL + "/v1/batch", json: body,
                headers: ["Origin": "https://shop.example", "Content-Type": "text/plain;charset=UTF-8"]
            )
            #expect(answer.status == 200)
            #expect(answer.headers["access-control-allow-origin"] == "*")
            try await server.waitUntilLoaded()
            #expect(try await offThePool { try harness.messageCounts() } == ["cors-1": 1])
        }
    }

    /// A refusal is readable by the page too (the browser hides an answer without the header).
    @Test func refusalsCarryCORSHeaders() async throws {
        let harness = try await offThePool { try IngestHarness(label: "corsrefusal") }
        defer { harness.removeSpool() }
        try await harness.withServer { server in
            let answer = try await HTTP.post(
                server.baseURL + "/v1/track", json: Events.track("cors-2"), headers: ["Origin": "https://shop.example"],
                writeKey: "wk_unknown"
            )
            #expect(answer.status == 401)
            #expect(answer.headers["access-control-allow-origin"] == "*")
            // Without an Origin (a server-side SDK), no CORS headers.
            let direct = try await HTTP.post(server.baseURL + "/v1/track", json: Events.track("cors-3"), writeKey: "x")
            #expect(direct.status == 401)
            #expect(direct.headers["access-control-allow-origin"] == nil)
        }
    }

    @Test func trackerScriptIsServedGzippedAndPlain() async throws {
        let harness = try await offThePool { try IngestHarness(label: "trackerscript") }
        defer { harness.removeSpool() }
        let script = try TrackerScript.bundled()
        try await harness.withServer { server in
            var request = URLRequest(url: URL(string: server.baseURL + "/sluice.js")!)
            request.setValue("gzip", forHTTPHeaderField: "Accept-Encoding")
            let gzipped = try await HTTP.send(request)
            #expect(gzipped.status == 200)
            #expect(gzipped.headers["content-type"] == "text/javascript; charset=utf-8")
            #expect(gzipped.headers["content-encoding"] == "gzip")
            #expect(gzipped.headers["content-length"] == String(script.gzipped.count))
            #expect(gzipped.headers["cache-control"] == "public, max-age=\(TrackerRoutes.maxAge)")
            // URLSession inflates what it is sent gzipped: the text is the minified script.
            #expect(gzipped.body == String(decoding: script.minified, as: UTF8.self))

            request.setValue("identity", forHTTPHeaderField: "Accept-Encoding")
            let plain = try await HTTP.send(request)
            #expect(plain.status == 200)
            #expect(plain.headers["content-encoding"] == nil)
            #expect(plain.headers["content-length"] == String(script.minified.count))
            #expect(plain.body == String(decoding: script.minified, as: UTF8.self))
        }
    }
}
