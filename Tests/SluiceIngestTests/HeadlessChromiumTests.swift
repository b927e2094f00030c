import Foundation
import SluiceBrowserTesting
import Testing

/// The browser helper itself: the DOM after the page's scripts ran, and a screenshot.
@Suite struct HeadlessChromiumTests {
    static let page = """
        <!doctype html><html><head><title>Clock</title></head><body><p id="n">waiting</p>
        <script>setTimeout(function () { document.getElementById('n').setAttribute('data-value', '42'); }, 3000);</script>
        </body></html>
        """

    @Test(
        .enabled(
            if: HeadlessChromium.testsEnabled,
            "chromium is not installed (scripts/ensure-deps.sh --tests installs it; under CI=true this test fails instead)"
        )
    )
    func dumpsTheDOMAfterTimersAndTakesAScreenshot() async throws {
        let chromium = try HeadlessChromium.required()
        try await PageOrigin.withServer(pages: ["/": Self.page]) { site in
            // The page's 3-second timer runs within the virtual time budget, however slow the machine.
            let dom = try await chromium.dumpDOM(site + "/", virtualTime: 10_000)
            #expect(dom.contains(#"<p id="n" data-value="42">waiting</p>"#))

            let path = FileManager.default.temporaryDirectory.path + "/sluice-screenshot-\(UUID().uuidString).png"
            defer { try? FileManager.default.removeItem(atPath: path) }
            try await chromium.screenshot(site + "/", to: path, width: 400, height: 300)
            let png = try Data(contentsOf: URL(fileURLWithPath: path))
            let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
            #expect(Array(png.prefix(8)) == signature)
            // The IHDR chunk holds the size asked for.
            let width: Int = png[16..<20].reduce(0) { $0 << 8 | Int($1) }
            let height: Int = png[20..<24].reduce(0) { $0 << 8 | Int($1) }
            #expect(width == 400 && height == 300)
        }
    }
}
