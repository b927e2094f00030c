import EmbeddedPostgres
import Foundation
import SluiceBrowserTesting
import SluiceCore
import SluiceExperiments
import SluiceExperimentsStore
import SluiceHangGuard
import SluicePostgres
import SluiceServer
import SluiceStats
import SluiceStatsAPI
import SluiceTestSupport
import Testing

/// The dashboard page in a real headless Chromium, driven over the DevTools protocol, against a real server on
/// known traffic (sent over HTTP, loaded by the real pipeline, the real jobs run): every top number's
/// `data-value` equals the Stats API's answer for the same range, fetched here over HTTP, and
/// ``StatsOracle``'s recomputation from the events sent; a click on a breakdown row filters every number by
/// its value, and its chip removes the filter; the page asks no other host for anything; nothing is wider than
/// a phone's screen; errors (a wrong key, the database away) are shown in words; the experiments view shows the
/// results endpoint's numbers and its SRM warning; screenshots are taken. `SLUICE_UPDATE_SCREENSHOT=1` writes
/// the experiments test's screenshot, taken over a larger site's traffic, to docs/images/dashboard.png.
@Suite(.serialized) struct DashboardBrowserTests {
    static let metrics: [StatsMetric] = [.visitors, .visits, .pageviews, .bounceRate, .visitDuration]
    static let updateScreenshot = ProcessInfo.processInfo.environment["SLUICE_UPDATE_SCREENSHOT"] == "1"

    /// Waits until the page has finished `renders` renders (or more) and shows them; a page that reports an
    /// error instead fails at once with the words it shows.
    static func waitForRender(_ browser: DevToolsSession, _ renders: Int, _ what: String) async throws {
        try await HangGuard.wait(for: "the dashboard to show \(what)") {
            let state =
                try await browser.evaluate(
                    // Before the page's document exists (the navigation not yet committed) every part is empty.
                    "[document.documentElement?.dataset.state, Number(document.documentElement?.dataset.renders || 0), "
                        + "document.getElementById('error')?.textContent]"
                ) as? [Any]
            if state?[0] as? String == "error" {
                throw BrowserError("the dashboard shows an error instead of \(what): \(state?[2] ?? "")")
            }
            return state?[0] as? String == "ready" && (state?[1] as? Int ?? 0) >= renders
        }
    }

    /// The `data-value` of every top number, and the `data-previous` of its change.
    static func shown(_ browser: DevToolsSession) async throws -> (values: [String: String], previous: [String: String])
    {
        let json = try #require(
            try await browser.evaluate(
                """
                JSON.stringify([Object.fromEntries([...document.querySelectorAll('[data-metric]')]
                  .map(e => [e.dataset.metric, e.dataset.value])),
                 Object.fromEntries([...document.querySelectorAll('[data-change][data-previous]')]
                  .map(e => [e.dataset.change, e.dataset.previous]))])
                """
            ) as? String
        )
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: String]])
        return (parsed[0], parsed[1])
    }

    /// The page's range, as it reports it on `#dashboard`.
    static func range(_ browser: DevToolsSession) async throws -> (from: String, to: String) {
        let pair = try #require(
            try await browser.evaluate(
                "[document.getElementById('dashboard').dataset.from, document.getElementById('dashboard').dataset.to]"
            ) as? [String]
        )
        return (pair[0], pair[1])
    }

    /// Checks the page's numbers against the API's for the range (and the previous range of the same length)
    /// under `filters`, and the API's against the oracle's.
    static func expectNumbers(
        _ browser: DevToolsSession, _ server: StatsServer, _ oracle: StatsOracle, _ filters: [StatsFilter],
        _ what: String
    ) async throws {
        let (from, to) = try await range(browser)
        let first = try #require(CalendarDay(from)), last = try #require(CalendarDay(to))
        let length = Int(last.unixDay - first.unixDay) + 1
        let before = (first.adding(days: -length), first.adding(days: -1))
        let shown = try await shown(browser)
        let filter = filters.isEmpty ? "" : "&filters=" + StatsAnswerTests.encoded(StatsAnswerTests.text(filters))
        let list = metrics.map(\.name).joined(separator: ",")
        for (days, values, label) in [((first, last), shown.values, "range"), (before, shown.previous, "previous")] {
            let answer = try await server.json("aggregate?from=\(days.0)&to=\(days.1)&metrics=\(list)\(filter)")
            let results = try #require((answer as? [String: Any])?["results"] as? [String: Any])
            for metric in metrics {
                let api = try #require((results[metric.name] as? [String: Any])?["value"] as? NSNumber)
                let page = try #require(values[metric.name], "\(what): no \(label) value for \(metric.name)")
                #expect(Double(page) == api.doubleValue, "\(what), \(label): \(metric.name) shows \(page), API \(api)")
                StatsAnswerTests.expectMetric(
                    metric, api, oracle.measures(filters, StatsRange(from: days.0, to: days.1)).value(metric),
                    "\(what), \(label) \(days.0)…\(days.1)"
                )
            }
        }
        let realtime = try #require((try await server.json("realtime/visitors") as? [String: Any])?["visitors"] as? Int)
        #expect(shown.values["realtime_visitors"] == String(realtime), "\(what): realtime visitors")
    }

    @Test(.enabled(if: HeadlessChromium.testsEnabled, "needs chromium (scripts/ensure-deps.sh --tests)"))
    func showsTheStatsAPIsNumbersAndFiltersByAClickedRow() async throws {
        let chromium = try HeadlessChromium.required()
        let harness = try StatsHarness(label: "dashboard")
        // Ten days ending yesterday: the last 7 days and the 7 before them both have traffic.
        let traffic = StatsTraffic(firstDay: CalendarDay.today().adding(days: -10), people: 80, seed: 0xda5b)
        let oracle = StatsOracle(traffic.events)

        try await harness.withServer { server in
            try await server.send(traffic.events.map(\.json))
            try await server.waitUntilLoaded()
            try await harness.runJobs()

            try await Self.withBrowser(chromium) { browser in
                try await browser.open(server.baseURL + "/#key=" + harness.readKey, width: 1280, height: 900)
                try await Self.waitForRender(browser, 1, "its first numbers")
                try await Self.expectNumbers(browser, server, oracle, [], "unfiltered")

                // The key left the address bar for the browser's storage.
                let kept =
                    try await browser.evaluate(
                        "[location.hash.includes('rk_'), localStorage.getItem('sluice.readKey')]") as? [Any]
                #expect(kept?[0] as? Bool == false, "the key stays in the address bar")
                #expect(kept?[1] as? String == harness.readKey)

                // A click on a country row filters everything by it, and shows a chip.
                let clicked = try await browser.evaluate(
                    """
                    (() => { const b = document.querySelector(
                      'table[data-property="country"] button[data-filter-value="DE"]');
                      if (!b) return false; b.click(); return true; })()
                    """
                )
                try #require(clicked as? Bool == true, "no DE row in the countries table")
                try await Self.waitForRender(browser, 2, "the numbers filtered by country DE")
                let filters = try await browser.evaluate("document.getElementById('dashboard').dataset.filters")
                #expect(filters as? String == "country==DE")
                try await Self.expectNumbers(browser, server, oracle, [StatsFilter(.country, .is, ["DE"])], "DE")

                // The chip removes it again.
                let removed = try await browser.evaluate(
                    """
                    (() => { const b = document.querySelector('#filters button[data-filter="country"]');
                      if (!b) return false; b.click(); return true; })()
                    """
                )
                try #require(removed as? Bool == true, "no filter chip for country")
                try await Self.waitForRender(browser, 3, "the numbers without the filter")
                try await Self.expectNumbers(browser, server, oracle, [], "filter removed")

                // The page drew its chart and filled every table.
                let drawn =
                    try await browser.evaluate(
                        """
                        [document.querySelectorAll('#chart svg polyline').length,
                         document.querySelectorAll('#chart-table tbody tr').length,
                         document.querySelectorAll('#breakdowns table').length]
                        """
                    ) as? [Int]
                #expect(drawn?[0] == 1 && drawn?[1] == 7, "chart: \(String(describing: drawn))")
                #expect((drawn?[2] ?? 0) >= 10, "breakdown tables: \(String(describing: drawn))")

                try await Self.screenshot(browser, toDocs: false)

                // Nothing but this server: the page, then its API calls.
                let requested = browser.requestedURLs
                #expect(requested.contains { $0.hasPrefix(server.baseURL + "/v1/stats/aggregate?") })
                let elsewhere = requested.filter { !$0.hasPrefix(server.baseURL + "/") && !$0.hasPrefix("data:") }
                #expect(elsewhere.isEmpty, "requests to other hosts: \(elsewhere)")

                // On a phone's screen nothing is wider than the screen (wide tables scroll inside their card).
                try await browser.send(
                    "Emulation.setDeviceMetricsOverride",
                    ["width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": true]
                )
                let widths = try await browser.evaluate(
                    "[document.documentElement.scrollWidth, window.innerWidth]") as? [Int]
                #expect(widths?.count == 2 && widths?[0] == widths?[1], "page and screen widths: \(widths ?? [])")

                // A wrong key arriving in the fragment: the 401 in words, and the form to paste another.
                try await browser.send("Page.navigate", ["url": server.baseURL + "/#key=rk_wrong"])
                try await HangGuard.wait(for: "the dashboard to report the wrong key") {
                    try await browser.evaluate("document.documentElement?.dataset.state") as? String == "error"
                }
                let refusal =
                    try await browser.evaluate(
                        "[document.getElementById('error').textContent, document.getElementById('key-section').hidden]"
                    ) as? [Any]
                #expect(
                    (refusal?[0] as? String)?.contains("did not accept this read key (401") == true, "\(refusal ?? [])")
                #expect(refusal?[1] as? Bool == false, "the key form is hidden")
            }
        }
    }

    @Test(.enabled(if: HeadlessChromium.testsEnabled, "needs chromium (scripts/ensure-deps.sh --tests)"))
    func saysTheDatabaseIsAwayAndRecoversByItself() async throws {
        let chromium = try HeadlessChromium.required()
        let directory = FileManager.default.temporaryDirectory.path + "/sluice-dashboard-outage-\(UUID().uuidString)"
        var cluster = try LocalCluster.prepare(at: directory, durable: false)
        try cluster.start()
        defer {
            try? cluster.stop(immediate: true)
            try? FileManager.default.removeItem(atPath: directory)
        }
        try PostgresConnection(cluster.connectionString()).execute("CREATE DATABASE dashboard")
        let harness = try StatsHarness(
            label: "dashboard-outage", connectionString: cluster.connectionString(database: "dashboard"))
        try await harness.withServer { server in
            try await Self.withBrowser(chromium) { browser in
                try await browser.open(server.baseURL + "/#key=" + harness.readKey)
                try await Self.waitForRender(browser, 1, "its numbers before the outage")

                try cluster.stop()
                _ = try await browser.evaluate(
                    "document.getElementById('range').value = '30d'; "
                        + "document.getElementById('range').dispatchEvent(new Event('change')); true")
                try await HangGuard.wait(for: "the dashboard to report the outage") {
                    try await browser.evaluate("document.documentElement?.dataset.state") as? String == "error"
                }
                let message = try await browser.evaluate("document.getElementById('error').textContent") as? String
                #expect(message?.contains("503") == true && message?.contains("database") == true, "\(message ?? "")")
                #expect(message?.contains("Trying again in") == true, "\(message ?? "")")

                try cluster.start(port: cluster.port)
                // It retries by itself after Retry-After, with nobody touching it (retries while the database is
                // still starting show the error again).
                try await HangGuard.wait(for: "the dashboard to show its numbers after the database came back") {
                    try await browser.evaluate(
                        "document.documentElement?.dataset.state === 'ready' "
                            + "&& document.documentElement?.dataset.renders === '2'"
                    ) as? Bool == true
                }
                #expect(try await browser.evaluate("document.getElementById('error').hidden") as? Bool == true)
            }
        }
    }

    @Test(.enabled(if: HeadlessChromium.testsEnabled, "needs chromium (scripts/ensure-deps.sh --tests)"))
    func showsEveryExperimentsResultsAndTheSRMWarning() async throws {
        let chromium = try HeadlessChromium.required()
        let harness = try StatsHarness(label: "dashboard-experiments")
        let connection = try harness.connection()
        var definitions: [ExperimentDefinition] = []
        for text in [
            #"{"key":"checkout-v2","variations":["control","one-page"],"goalEvent":"Order Completed"}"#,
            #"{"key":"pricing-banner","variations":["none","banner"],"goalEvent":"Signup"}"#,
        ] {
            let definition = try ExperimentDefinition(jsonText: text)
            _ = try ExperimentStore.save(definition, projectID: harness.projectID, force: false, on: connection)
            definitions.append(definition)
        }
        // A site's worth of traffic for the picture; the experiments' own events, received now.
        let traffic = StatsTraffic(
            firstDay: CalendarDay.today().adding(days: -10), people: Self.updateScreenshot ? 700 : 40, seed: 0x5c2e
        )

        let experiments: (inout SluiceApplication, StatsQueryPool) -> Void = {
            $0.addExperiments(connectionString: harness.connectionString, pool: $1)
        }
        try await harness.withServer(compose: experiments) { server in
            try await server.send(traffic.events.map(\.json))
            try await server.waitUntilLoaded()
            try await harness.runJobs()
            // The experiments' events go in once the partitions job has made today's partition.
            for (index, definition) in definitions.enumerated() {
                let rows = ExperimentTraffic.generate(
                    projectID: harness.projectID, definition: definition, count: 1_200, seed: 40 + UInt64(index),
                    start: .now(), receivedAt: .now(), idPrefix: definition.key
                ).rows
                _ = try connection.copyEvents(rows)
            }
            let run = try await SluiceBinary.run(
                ["jobs", "run", "assignments", "--database-url", harness.connectionString],
                environment: ["SLUICE_ASSIGNMENTS_SETTLE": "0"]
            )
            try #require(run.status == 0, "sluice jobs run assignments exited \(run.status): \(run.output)")
            // Half of the banner's people moved to the control after they were shown the banner: their exposures
            // no longer fit their variation, the banner loses them, and the users no longer fit the weights.
            try connection.execute(
                """
                UPDATE experiments.assignments SET variant = 0
                WHERE experiment_key = 'pricing-banner' AND variant = 1 AND right(person_id, 1) IN ('1','3','5','7','9')
                """
            )

            try await Self.withBrowser(chromium) { browser in
                try await browser.open(server.baseURL + "/#key=" + harness.readKey, width: 1280, height: 900)
                try await Self.waitForRender(browser, 1, "its numbers and experiments")
                for definition in definitions {
                    let answer = try await HTTP.send(
                        "GET", server.baseURL + "/v1/experiments/\(definition.key)/results",
                        headers: ["Authorization": "Bearer \(harness.readKey)"]
                    )
                    // Parsed with Sluice's own JSON reader, which keeps each number's text: Foundation's rounds
                    // some doubles differently from the text.
                    let report = try JSONValue(parsing: answer.body)
                    guard case .array(let variations)? = report["variations"],
                        case .bool(let mismatch)? = report["srm"]?["mismatch"]
                    else { throw HarnessError("results of \(definition.key): \(answer)") }
                    let shown = try #require(
                        try await browser.evaluate(
                            """
                            JSON.stringify({srm: !!document.querySelector('[data-experiment="\(definition.key)"] .srm'),
                              rows: [...document.querySelectorAll('[data-experiment="\(definition.key)"] tbody tr')]
                                .map(r => ({...r.dataset}))})
                            """
                        ) as? String
                    )
                    let page = try #require(try JSONSerialization.jsonObject(with: Data(shown.utf8)) as? [String: Any])
                    #expect(
                        page["srm"] as? Bool == mismatch, "\(definition.key): SRM warning shown \(page["srm"] ?? "")")
                    let rows = try #require(page["rows"] as? [[String: String]])
                    try #require(rows.count == variations.count, "\(definition.key): \(rows.count) rows")
                    for (row, variation) in zip(rows, variations) {
                        for (attribute, field) in [
                            ("users", "users"), ("converters", "converters"), ("uplift", "uplift"),
                            ("pValue", "pValue"),
                        ] {
                            guard case .number(let expected)? = variation[field] else {
                                #expect(row[attribute] == nil, "\(definition.key) \(attribute) without a number")
                                continue
                            }
                            #expect(
                                row[attribute].flatMap(Double.init) == Double(expected.text),
                                "\(definition.key) \(attribute): page \(row[attribute] ?? "none"), API \(expected.text)"
                            )
                        }
                    }
                    guard case .number(let users)? = variations.first?["users"] else { continue }
                    #expect(users.value > 100, "\(definition.key): too few users to say much")
                }
                #expect(
                    try await browser.evaluate("!!document.querySelector('[data-experiment=\"pricing-banner\"] .srm')")
                        as? Bool == true, "the banner's sample-ratio mismatch is not shown"
                )
                try await Self.screenshot(browser, toDocs: Self.updateScreenshot)
            }
        }
    }

    /// Takes a full-page screenshot, checks it, and writes it to docs/images/dashboard.png (`toDocs`) or to a
    /// temporary file that is checked again and removed.
    static func screenshot(_ browser: DevToolsSession, toDocs: Bool) async throws {
        let png = try await browser.screenshot()
        try expectPNG(png, width: 1280)
        let path =
            toDocs
            ? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("docs/images/dashboard.png").path
            : FileManager.default.temporaryDirectory.path + "/sluice-dashboard-\(UUID().uuidString).png"
        try png.write(to: URL(fileURLWithPath: path))
        try expectPNG(try Data(contentsOf: URL(fileURLWithPath: path)), width: 1280)
        if !toDocs { try? FileManager.default.removeItem(atPath: path) }
    }

    /// Runs `body` with a browser driven over the DevTools protocol, which is closed after it, also when it throws.
    static func withBrowser(
        _ chromium: HeadlessChromium, _ body: (DevToolsSession) async throws -> Void
    ) async throws {
        let browser = try chromium.devTools()
        do {
            try await body(browser)
        } catch {
            try? await browser.close()
            throw error
        }
        try await browser.close()
    }

    /// A PNG of `width` pixels, more than a blank page's worth of bytes.
    static func expectPNG(_ data: Data, width: Int) throws {
        let bytes = [UInt8](data)
        try #require(bytes.count > 24, "an empty screenshot")
        #expect(Array(bytes[0..<8]) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "not a PNG")
        #expect(String(decoding: bytes[12..<16], as: UTF8.self) == "IHDR")
        let shownWidth = bytes[16..<20].reduce(0) { $0 << 8 | Int($1) }
        #expect(shownWidth == width, "a screenshot \(shownWidth) pixels wide")
        #expect(bytes.count > 20_000, "\(bytes.count) bytes: a blank page?")
    }
}
