import CompressNIO
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import SluiceDashboard
import Testing

/// `GET /` and `GET /dashboard` through Hummingbird's router: content type, the validator and 304, gzip.
@Suite struct DashboardRoutesTests {
    static func withRouter(
        _ page: Result<DashboardPage, DashboardError>, _ body: @Sendable (any TestClientProtocol) async throws -> Void
    ) async throws {
        let router = Router()
        DashboardRoutes(page: page).addRoutes(to: router)
        try await Application(router: router).test(.router, body)
    }

    @Test func servesThePageAtBothPaths() async throws {
        let page = try DashboardPage.bundled()
        try await Self.withRouter(.success(page)) { client in
            for path in DashboardRoutes.paths {
                try await client.execute(uri: path, method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                    #expect(response.headers[.eTag] == page.etag)
                    #expect(response.headers[.cacheControl] == "no-cache")
                    #expect(response.headers[.contentEncoding] == nil)
                    #expect(response.headers[.contentSecurityPolicy] == page.contentSecurityPolicy)
                    #expect(Array(response.body.readableBytesView) == page.html)
                }
            }
        }
    }

    @Test func gzipsWhenAccepted() async throws {
        let page = try DashboardPage.bundled()
        try await Self.withRouter(.success(page)) { client in
            try await client.execute(uri: "/", method: .get, headers: [.acceptEncoding: "br, gzip;q=0.8"]) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentEncoding] == "gzip")
                #expect(response.headers[.vary] == "Accept-Encoding")
                #expect(response.headers[.eTag] == page.gzipETag)
                var body = response.body
                let plain = try body.decompress(with: .gzip())
                #expect(Array(plain.readableBytesView) == page.html)
            }
            try await client.execute(uri: "/", method: .get, headers: [.acceptEncoding: "gzip;q=0"]) { response in
                #expect(response.headers[.contentEncoding] == nil)
            }
        }
    }

    @Test func answersNotModifiedToItsOwnTag() async throws {
        let page = try DashboardPage.bundled()
        try await Self.withRouter(.success(page)) { client in
            try await client.execute(uri: "/dashboard", method: .get, headers: [.ifNoneMatch: page.etag]) { response in
                #expect(response.status == .notModified)
                #expect(response.body.readableBytes == 0)
                #expect(response.headers[.eTag] == page.etag)
            }
            // The identity representation's tag does not validate the gzipped one.
            try await client.execute(
                uri: "/", method: .get, headers: [.ifNoneMatch: page.etag, .acceptEncoding: "gzip"]
            ) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/", method: .get, headers: [.ifNoneMatch: "\"stale\""]) { response in
                #expect(response.status == .ok)
            }
        }
    }

    @Test func saysInWordsWhenThePageIsMissing() async throws {
        let error = DashboardError(.missingResource, "dashboard.html is missing from the resource bundle")
        try await Self.withRouter(.failure(error)) { client in
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .internalServerError)
                #expect(String(buffer: response.body).contains("dashboard.html is missing"))
            }
        }
    }

    @Test func readsIfNoneMatchAsRFC9110Says() {
        #expect(DashboardRoutes.matches(["\"a\""], "\"a\""))
        #expect(DashboardRoutes.matches(["W/\"a\""], "\"a\""))
        #expect(DashboardRoutes.matches(["\"x\", \"a\""], "\"a\""))
        #expect(DashboardRoutes.matches(["\"x\"", "\"a\""], "\"a\""))
        #expect(DashboardRoutes.matches(["*"], "\"a\""))
        #expect(!DashboardRoutes.matches(["\"ab\""], "\"a\""))
        #expect(!DashboardRoutes.matches([], "\"a\""))
    }
}
