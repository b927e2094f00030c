import Foundation
import SluiceHangGuard

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A headless Chromium driven over the Chrome DevTools Protocol, for a test that must act on a page (evaluate
/// script, click, read the network log, take a screenshot) rather than only load it.
///
/// The protocol runs over `--remote-debugging-pipe`: the browser reads commands on its file descriptor 3 and
/// writes answers and events on 4, each message JSON ended by a NUL byte; no port, no WebSocket. The browser is
/// spawned with `posix_spawn` because Foundation's `Process` cannot hand a child descriptors beyond 0-2. One
/// thread of its own reads the pipe (blocking reads, never on the cooperative pool); callers wait for answers
/// and events through ``HangGuard``.
///
/// The session is attached to one page (``open(_:width:height:)``); ``requestedURLs`` is every URL the page
/// asked the network for, from the Network domain's `requestWillBeSent` events.
public final class DevToolsSession: @unchecked Sendable {
    // @unchecked: `lock` guards `answers`, `events`, `nextID`, `readerEnded` and `reaped`; the descriptors and
    // the pid are set once in init and only read after; `sessionID` is set by open(_:) before any page command.
    private let lock = NSLock()
    private var answers: [Int: [String: Any]] = [:]
    private var events: [(method: String, params: [String: Any])] = []
    private var nextID = 0
    private var readerEnded = false
    /// Whether close() saw the browser exit (its pid may then belong to another process: never signal it).
    private var reaped = false
    private let commandFD: Int32
    private let eventFD: Int32
    private let pid: pid_t
    private let directory: String
    private var sessionID: String?

    /// Starts the browser with `arguments` (after ``HeadlessChromium``'s base switches) and the pipe.
    init(executable: String, arguments: [String]) throws {
        directory = FileManager.default.temporaryDirectory.path + "/sluice-devtools-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var toBrowser: [Int32] = [0, 0]
        var fromBrowser: [Int32] = [0, 0]
        guard pipe(&toBrowser) == 0, pipe(&fromBrowser) == 0 else {
            throw BrowserError("could not create the DevTools pipes: errno \(errno)")
        }
        // Every end is made close-on-exec at once (Swift's Glibc module has no pipe2), so the browser inherits
        // only the two it gets as 3 and 4. The child's ends are moved to 10 or above first: dup2 onto the number
        // a descriptor already has would leave close-on-exec set.
        _ = fcntl(toBrowser[1], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fromBrowser[0], F_SETFD, FD_CLOEXEC)
        let childRead = fcntl(toBrowser[0], F_DUPFD_CLOEXEC, 10)
        let childWrite = fcntl(fromBrowser[1], F_DUPFD_CLOEXEC, 10)
        closeDescriptor(toBrowser[0])
        closeDescriptor(fromBrowser[1])
        defer {
            closeDescriptor(childRead)
            closeDescriptor(childWrite)
        }
        commandFD = toBrowser[1]
        eventFD = fromBrowser[0]

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, directory + "/stdout", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, directory + "/stderr", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, childRead, 3)
        posix_spawn_file_actions_adddup2(&actions, childWrite, 4)

        let all = [executable, "--user-data-dir=\(directory)/profile", "--remote-debugging-pipe"] + arguments
        var argv: [UnsafeMutablePointer<CChar>?] = all.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var child: pid_t = 0
        let status = posix_spawn(&child, executable, &actions, nil, &argv, environ)
        guard status == 0 else {
            closeDescriptor(commandFD)
            closeDescriptor(eventFD)
            throw BrowserError("could not start \(executable): posix_spawn failed with \(status)")
        }
        pid = child
        let thread = Thread { [self] in readLoop() }
        thread.name = "sluice-devtools-reader"
        thread.start()
    }

    deinit {
        if !locked({ reaped }) { kill(pid, SIGKILL) }
        closeDescriptor(commandFD)
        closeDescriptor(eventFD)
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    /// The last 20 lines of the browser's standard error, for failure messages.
    public var logTail: String {
        let log = (try? String(contentsOfFile: directory + "/stderr", encoding: .utf8)) ?? ""
        return log.split(separator: "\n").suffix(20).joined(separator: "\n")
    }

    // MARK: - The pipe

    /// Reads NUL-ended messages until the browser closes its end; answers by id, events in order.
    private func readLoop() {
        var pending: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(eventFD, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            pending.append(contentsOf: chunk[0..<count])
            while let end = pending.firstIndex(of: 0) {
                let message = Data(pending[..<end])
                pending.removeSubrange(...end)
                guard let object = (try? JSONSerialization.jsonObject(with: message)) as? [String: Any] else {
                    continue
                }
                locked {
                    if let id = object["id"] as? Int {
                        answers[id] = object
                    } else if let method = object["method"] as? String {
                        events.append((method, object["params"] as? [String: Any] ?? [:]))
                    }
                }
            }
        }
        locked { readerEnded = true }
    }

    /// Sends one command and waits for its answer.
    ///
    /// - Parameter page: whether the command is for the attached page (with its session id) or the browser.
    /// - Returns: the answer's `result`.
    /// - Throws: ``BrowserError`` when the browser answers with an error or exits; ``Hung`` after
    ///   ``HangGuard/limit``.
    @discardableResult
    public func send(_ method: String, _ params: [String: Any] = [:], page: Bool = true) async throws -> [String: Any] {
        var message: [String: Any] = ["method": method, "params": params]
        let id = locked {
            nextID += 1
            return nextID
        }
        message["id"] = id
        if page {
            guard let sessionID else { throw BrowserError("no page is open; call open(_:) first") }
            message["sessionId"] = sessionID
        }
        var bytes = [UInt8](try JSONSerialization.data(withJSONObject: message))
        bytes.append(0)
        let written = bytes.withUnsafeBytes { buffer -> Bool in
            var offset = 0
            while offset < buffer.count {
                let count = write(commandFD, buffer.baseAddress! + offset, buffer.count - offset)
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { return false }
                offset += count
            }
            return true
        }
        guard written else { throw BrowserError("the browser closed its DevTools pipe; its log ends:\n\(logTail)") }
        var answer: [String: Any]?
        try await HangGuard.wait(for: "chromium to answer \(method)") {
            let (found, ended) = locked { (answers.removeValue(forKey: id), readerEnded) }
            answer = found
            if found == nil && ended {
                throw BrowserError("the browser exited before answering \(method); its log ends:\n\(logTail)")
            }
            return found != nil
        }
        if let error = answer?["error"] as? [String: Any] {
            throw BrowserError("\(method) failed: \(error["message"] ?? error)")
        }
        return answer?["result"] as? [String: Any] ?? [:]
    }

    // MARK: - A page

    /// Opens a page of `width` × `height` CSS pixels with the Network and Page domains on, and navigates it to
    /// `url`; returns once the navigation is committed (the page's own script may still be running).
    public func open(_ url: String, width: Int = 1280, height: Int = 900) async throws {
        let target = try await send("Target.createTarget", ["url": "about:blank"], page: false)
        guard let targetID = target["targetId"] as? String else { throw BrowserError("no target id in \(target)") }
        let attached = try await send(
            "Target.attachToTarget", ["targetId": targetID, "flatten": true], page: false)
        guard let session = attached["sessionId"] as? String else { throw BrowserError("no session in \(attached)") }
        sessionID = session
        try await send("Network.enable")
        try await send("Page.enable")
        // Without scroll bars, the page is as wide as the window, in screenshots too.
        try await send("Emulation.setScrollbarsHidden", ["hidden": true])
        try await send(
            "Emulation.setDeviceMetricsOverride",
            ["width": width, "height": height, "deviceScaleFactor": 1, "mobile": false]
        )
        let navigation = try await send("Page.navigate", ["url": url])
        if let error = navigation["errorText"] as? String { throw BrowserError("navigating to \(url): \(error)") }
    }

    /// Evaluates `expression` in the page; when it gives a promise, waits for it. Returns the value as JSON
    /// turns it (numbers, strings, arrays, objects), `nil` for `undefined`.
    ///
    /// - Throws: ``BrowserError`` with the page's exception text when the expression throws.
    public func evaluate(_ expression: String) async throws -> Any? {
        let result = try await send(
            "Runtime.evaluate", ["expression": expression, "awaitPromise": true, "returnByValue": true])
        if let exception = result["exceptionDetails"] as? [String: Any] {
            let detail = (exception["exception"] as? [String: Any])?["description"] ?? exception["text"] ?? exception
            throw BrowserError("the page threw: \(detail)")
        }
        return (result["result"] as? [String: Any])?["value"]
    }

    /// Waits until `expression` evaluates to `true` in the page: the page is asked again whenever it has not
    /// yet, through ``HangGuard``.
    public func waitUntil(_ what: String, _ expression: String) async throws {
        try await HangGuard.wait(for: what) {
            try await evaluate(expression) as? Bool == true
        }
    }

    /// Every URL the page has asked for so far (`Network.requestWillBeSent`), in order.
    public var requestedURLs: [String] {
        locked {
            events.filter { $0.method == "Network.requestWillBeSent" }
                .compactMap { ($0.params["request"] as? [String: Any])?["url"] as? String }
        }
    }

    /// A PNG of the whole page (beyond the window, as tall as its content).
    public func screenshot() async throws -> Data {
        let metrics = try await send("Page.getLayoutMetrics")
        let size = metrics["cssContentSize"] as? [String: Any] ?? [:]
        let width = (size["width"] as? Double) ?? 1280
        let height = (size["height"] as? Double) ?? 900
        let shot = try await send(
            "Page.captureScreenshot",
            [
                "format": "png", "captureBeyondViewport": true,
                "clip": ["x": 0, "y": 0, "width": width, "height": height, "scale": 1],
            ]
        )
        guard let text = shot["data"] as? String, let data = Data(base64Encoded: text) else {
            throw BrowserError("Page.captureScreenshot gave no image")
        }
        return data
    }

    /// Closes the browser (`Browser.close`) and waits for it to exit; kills it if it does not.
    public func close() async throws {
        _ = try? await send("Browser.close", page: false)
        let pid = pid
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let thread = Thread {
                let exited = DispatchSemaphore(value: 0)
                let waiter = Thread {
                    var status: Int32 = 0
                    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                    self.locked { self.reaped = true }
                    exited.signal()
                }
                waiter.start()
                if exited.wait(timeout: .now() + HangGuard.limitInSeconds) == .timedOut {
                    kill(pid, SIGKILL)
                    continuation.resume(throwing: Hung("headless chromium to exit after Browser.close"))
                    return
                }
                continuation.resume()
            }
            thread.name = "sluice-devtools-wait"
            thread.start()
        }
    }
}

/// `close(2)`, by a name the session's own `close()` does not hide.
private func closeDescriptor(_ descriptor: Int32) {
    _ = close(descriptor)
}

extension HeadlessChromium {
    /// Starts a browser to drive over the DevTools protocol (``DevToolsSession``); call
    /// ``DevToolsSession/open(_:width:height:)`` next, and ``DevToolsSession/close()`` at the end.
    public func devTools() throws -> DevToolsSession {
        try DevToolsSession(executable: executable, arguments: Self.baseArguments)
    }
}
