import Foundation
import Hummingbird
import NIOCore
import Logging
import ServiceLifecycle
import SluiceBrowserTesting
import SluiceHangGuard
import SluiceTestSupport
import Testing

/// sluice.js in a real browser: a page on another origin includes the script from a real `sluice serve`,
/// navigates with the History API, identifies and tracks, then leaves; the events arrive in `analytics.events`.
@Suite struct TrackerBrowserTests {
    @Test(
        .enabled(
            if: HeadlessChromium.testsEnabled,
            "chromium is not installed (scripts/ensure-deps.sh --tests installs it; under CI=true this test fails instead)"
        )
    )
    func pageOnAnotherOriginSendsItsNavigationAndEvents() async throws {
        let chromium = try HeadlessChromium.required()
        let harness = try await offThePool { try IngestHarness(label: "trackerbrowser") }
        defer { harness.removeSpool() }
        try await harness.withServer { server in
            let pages = ["/start": Self.page(sluice: server.baseURL, writeKey: harness.writeKey), "/done": "<p>done</p>"]
            try await PageOrigin.withServer(pages: pages) { site in
                let browser = try chromium.open(site + "/start?utm_source=newsletter&utm_medium=email&utm_campaign=launch")
                let rows: [StoredEvent]
                do {
                    rows = try await offThePool {
                        try HangGuard.wait(for: "the browser's 7 events to reach analytics.events") {
                            try StoredEvent.all(in: harness).count >= 7
                        }
                        return try StoredEvent.all(in: harness)
                    }
                } catch {
                    Issue.record("the browser's log ends:\n\(browser.logTail)")
                    try await browser.close()
                    throw error
                }
                try await browser.close()

                let expected: [(String, String?, String?, String?)] = [
                    ("page", nil, "/start", nil), ("page", nil, "/pricing", nil), ("page", nil, "/plans", nil),
                    ("identify", nil, "/plans", "user-42"), ("track", "Signup Clicked", "/plans", "user-42"),
                    ("page", nil, "/checkout", "user-42"), ("page", nil, "/plans", "user-42"),
                ]
                // Events of one tick share a millisecond, so compared as sets with their multiplicity.
                #expect(rows.map { "\($0.type) \($0.event ?? "-") \($0.path ?? "-") \($0.userID ?? "-")" }.sorted()
                    == expected.map { "\($0.0) \($0.1 ?? "-") \($0.2 ?? "-") \($0.3 ?? "-")" }.sorted())
                let anonymousIDs = Set(rows.map(\.anonymousID))
                #expect(anonymousIDs.count == 1)
                #expect(anonymousIDs.first??.isEmpty == false)
                #expect(Set(rows.map(\.library)) == ["sluice.js"])
                // The landing page's campaign and the pages' URLs come from the browser, not the test.
                let landing = rows.first { $0.path == "/start" }
                #expect(landing?.campaign == "newsletter/email/launch")
                #expect(rows.filter { $0.campaign != "" }.count == 1)
                #expect(landing?.url == site + "/start?utm_source=newsletter&utm_medium=email&utm_campaign=launch")
                #expect(rows.first { $0.type == "track" }?.properties == #"{"plan": "pro"}"#)
                #expect(rows.first { $0.type == "identify" }?.traits == #"{"plan": "pro"}"#)
            }
        }
    }

    /// The test page: loads sluice.js the way the README says, then walks the History API and leaves for /done,
    /// which hides the page and so sends the batch (the 5-second timer never gets there first).
    static func page(sluice: String, writeKey: String) -> String {
        """
        <!doctype html>
        <html><head><title>Shop</title>
        <script defer src="\(sluice)/sluice.js" data-write-key="\(writeKey)"></script>
        <script>
        addEventListener('DOMContentLoaded', function () {
            history.pushState({}, '', '/pricing');
            history.replaceState({}, '', '/pricing?plan=yearly');
            history.replaceState({}, '', '/plans');
            sluice.identify('user-42', { plan: 'pro' });
            sluice.track('Signup Clicked', { plan: 'pro' });
            history.pushState({}, '', '/checkout');
            addEventListener('popstate', function () { location.href = '/done'; });
            history.back();
        });
        </script>
        </head><body><p>Shop</p></body></html>
        """
    }
}

/// One stored event, as the browser test reads it back.
struct StoredEvent: Sendable {
    var type: String
    var event: String?
    var userID: String?
    var anonymousID: String?
    var path: String?
    var url: String?
    var campaign: String?
    var library: String?
    var properties: String?
    var traits: String?

    static func all(in harness: IngestHarness) throws -> [StoredEvent] {
        let result = try harness.connection().query(
            """
            SELECT type, event, user_id, anonymous_id, page_path, context->'page'->>'url',
                   concat_ws('/', utm_source, utm_medium, utm_campaign), context->'library'->>'name',
                   properties::text, traits::text
            FROM analytics.events WHERE project_id = $1 ORDER BY "timestamp", received_at, message_id
            """,
            [String(harness.projectID)]
        )
        return (0..<result.rowCount).map { row in
            StoredEvent(
                type: result.string(row, 0) ?? "", event: result.string(row, 1), userID: result.string(row, 2),
                anonymousID: result.string(row, 3), path: result.string(row, 4), url: result.string(row, 5),
                campaign: result.string(row, 6), library: result.string(row, 7), properties: result.string(row, 8),
                traits: result.string(row, 9)
            )
        }
    }
}

/// A second tiny HTTP server on another port (so another origin) that serves `pages`: path → HTML.
enum PageOrigin {
    static func withServer<T: Sendable>(pages: [String: String], _ body: (String) async throws -> T) async throws -> T {
        let router = Router()
        for (path, html) in pages {
            router.get(RouterPath(path)) { _, _ in
                Response(status: .ok, headers: [.contentType: "text/html"], body: .init(byteBuffer: .init(string: html)))
            }
        }
        var logger = Logger(label: "sluice-test-page")
        logger.logLevel = .warning
        let address = BindAddress.hostname("127.0.0.1", port: 0)
        return try await withRunningApplication(
            logger: logger,
            { Application(router: router, configuration: .init(address: address), onServerRunning: $0, logger: logger) }
        ) { port in
            try await body("http://127.0.0.1:\(port)")
        }
    }
}
