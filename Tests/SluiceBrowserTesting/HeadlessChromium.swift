// SluiceBrowserTesting: tests in a real browser: headless Chromium loads a page, dumps its DOM, takes a screenshot,
// or stays open while the test waits for what the page did.

import Foundation
import SluiceHangGuard

/// Debian's `chromium` run headless, for tests that need a real browser.
///
/// Every call runs the browser as a child process and waits for it on a thread of its own, never on Swift's
/// cooperative pool (which every in-process server of the test run shares). Each run gets a fresh profile
/// directory, so runs in parallel do not share cookies, storage or a profile lock. We run as root in CI and
/// containers, hence `--no-sandbox`.
///
/// Whether a test runs: ``testsEnabled``: when Chromium is installed, and always under `CI=true`, where a missing
/// browser is a failure (``required()`` throws) rather than a skip.
public struct HeadlessChromium: Sendable {
    /// The browser executable.
    public let executable: String

    /// The names looked up on `PATH`, after `$SLUICE_CHROMIUM`.
    public static let candidates = ["chromium", "chromium-browser", "google-chrome"]

    /// The switches of every run: headless, no sandbox (root), no first-run work, no calls home.
    static let baseArguments = [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
        "--no-default-browser-check", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--disable-extensions", "--mute-audio",
    ]

    public init(executable: String) {
        self.executable = executable
    }

    /// The browser on this machine: `$SLUICE_CHROMIUM` if set, else the first of ``candidates`` on `PATH`.
    public static func find() -> HeadlessChromium? {
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["SLUICE_CHROMIUM"], !path.isEmpty {
            return FileManager.default.isExecutableFile(atPath: path) ? HeadlessChromium(executable: path) : nil
        }
        let directories = (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        for name in candidates {
            for directory in directories {
                let path = "\(directory)/\(name)"
                if FileManager.default.isExecutableFile(atPath: path) { return HeadlessChromium(executable: path) }
            }
        }
        return nil
    }

    /// Whether browser tests should run: Chromium is installed, or `CI=true` (then a missing one fails them).
    /// Use as `@Test(.enabled(if: HeadlessChromium.testsEnabled, "…"))`.
    public static var testsEnabled: Bool {
        find() != nil || ProcessInfo.processInfo.environment["CI"] == "true"
    }

    /// The browser, for a test that ``testsEnabled`` let run.
    /// - Throws: ``BrowserError`` saying how to install it, when it is missing (under `CI=true`).
    public static func required() throws -> HeadlessChromium {
        guard let chromium = find() else {
            throw BrowserError(
                "chromium is not installed, and CI=true requires the browser tests: run scripts/ensure-deps.sh --tests "
                    + "(apt-get install -y chromium) or set SLUICE_CHROMIUM to a Chromium binary"
            )
        }
        return chromium
    }

    /// Loads `url`, lets it run for `virtualTime` of the page's own clock (timers fire early, the network is
    /// waited for), and returns the DOM as HTML.
    ///
    /// - Throws: ``BrowserError`` when the browser fails (its log's tail in the message); ``Hung`` after
    ///   ``HangGuard/limit``.
    public func dumpDOM(_ url: String, virtualTime milliseconds: Int = 10_000) async throws -> String {
        let run = try await run(["--virtual-time-budget=\(milliseconds)", "--dump-dom", url])
        return run.output
    }

    /// Loads `url` in a window of `width` by `height` pixels, lets it run for `virtualTime` milliseconds of
    /// page time, and writes a PNG screenshot to `path`.
    ///
    /// - Throws: ``BrowserError`` when the browser fails or writes no file; ``Hung`` after ``HangGuard/limit``.
    public func screenshot(
        _ url: String, to path: String, width: Int = 1280, height: Int = 900, virtualTime milliseconds: Int = 10_000
    ) async throws {
        try? FileManager.default.removeItem(atPath: path)
        let run = try await run([
            "--virtual-time-budget=\(milliseconds)", "--window-size=\(width),\(height)", "--hide-scrollbars",
            "--screenshot=\(path)", url,
        ])
        guard FileManager.default.fileExists(atPath: path) else {
            throw BrowserError("chromium wrote no screenshot to \(path); its log ends:\n\(run.log)")
        }
    }

    /// Opens `url` in a browser that keeps running, in real time, until ``BrowserSession/close()``: for a test
    /// that waits on what the page does (events arriving in the database) rather than on the page itself.
    public func open(_ url: String) throws -> BrowserSession {
        try BrowserSession(executable: executable, arguments: Self.baseArguments + [url])
    }

    /// Runs the browser with `arguments` to its end.
    private func run(_ arguments: [String]) async throws -> BrowserRun {
        let session = try BrowserSession(executable: executable, arguments: Self.baseArguments + arguments)
        let status = try await session.waitForExit()
        let run = BrowserRun(output: session.output, log: session.logTail)
        guard status == 0 else {
            throw BrowserError("chromium exited with status \(status); its log ends:\n\(run.log)")
        }
        return run
    }
}

/// What a finished run printed.
struct BrowserRun {
    /// Standard output (the DOM, for `--dump-dom`).
    let output: String
    /// The last lines of standard error.
    let log: String
}

/// A browser failed to run, or ran but did not produce what was asked; the message says what to do or shows its log.
public struct BrowserError: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
