import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A long-running child process, such as `sluice serve` under a benchmark or a test, that its owner can
/// signal, measure and wait for.
///
/// Its stdout and stderr go to a log file the owner reads while it runs (to find the port it bound, say).
/// Not thread-safe: one owner calls its methods; `@unchecked Sendable` so that owner may be a task that
/// moves between threads.
package final class BackgroundProcess: @unchecked Sendable {
    package let pid: pid_t
    package let logPath: String
    private var exitStatus: Int32?

    /// Starts `arguments[0]` (an absolute path) with the caller's environment plus `environment`.
    package init(_ arguments: [String], environment: [String: String] = [:]) throws {
        logPath = FileManager.default.temporaryDirectory.path + "/sluice-process-\(UUID().uuidString).log"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)

        var merged = ProcessInfo.processInfo.environment
        for (name, value) in environment { merged[name] = value }
        let environmentStrings = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        let argumentStrings = arguments.map { strdup($0) } + [nil]
        defer {
            environmentStrings.forEach { free($0) }
            argumentStrings.forEach { free($0) }
        }
        var pid = pid_t()
        let spawned = withDefaultSignals { attributes in
            posix_spawn(&pid, arguments[0], &actions, &attributes, argumentStrings, environmentStrings)
        }
        guard spawned == 0 else {
            throw BackgroundProcessError("could not start \(arguments[0]): \(String(cString: strerror(spawned)))")
        }
        self.pid = pid
    }

    deinit {
        if exitStatus == nil {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
    }

    /// Everything the process has printed so far.
    package var log: String {
        (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
    }

    /// Waits until a line containing `text` appears and returns it; throws with the log on timeout or exit.
    ///
    /// Blocks the calling thread; async code uses the async form, which does not hold a cooperative thread.
    @available(*, noasync, message: "use the async waitForLine(containing:timeout:)")
    package func waitForLine(containing text: String, timeout: Duration = .seconds(60)) throws -> String {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let line = try line(containing: text, deadline: deadline, timeout: timeout) { return line }
            usleep(20_000)
        }
    }

    /// Waits until a line containing `text` appears and returns it; throws with the log on timeout or exit.
    package func waitForLine(containing text: String, timeout: Duration = .seconds(60)) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let line = try line(containing: text, deadline: deadline, timeout: timeout) { return line }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// The first line containing `text`, nil while there is none and `deadline` has not passed.
    private func line(containing text: String, deadline: ContinuousClock.Instant, timeout: Duration) throws -> String? {
        if let line = log.split(separator: "\n").first(where: { $0.contains(text) }) { return String(line) }
        if hasExited() {
            throw BackgroundProcessError("the process exited (\(exitStatus ?? -1)) before printing '\(text)':\n\(log)")
        }
        guard ContinuousClock.now < deadline else {
            throw BackgroundProcessError("no line with '\(text)' within \(timeout):\n\(log)")
        }
        return nil
    }

    package func signal(_ number: Int32) {
        kill(pid, number)
    }

    /// Waits for the process to exit and returns its exit code (128 + n when killed by signal n).
    ///
    /// Blocks the calling thread; async code uses the async form, which does not hold a cooperative thread.
    @available(*, noasync, message: "use the async wait(timeout:)")
    @discardableResult
    package func wait(timeout: Duration = .seconds(120)) throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while try !exited(deadline: deadline, timeout: timeout) { usleep(20_000) }
        return exitStatus ?? -1
    }

    /// Waits for the process to exit and returns its exit code (128 + n when killed by signal n).
    @discardableResult
    package func wait(timeout: Duration = .seconds(120)) async throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while try !exited(deadline: deadline, timeout: timeout) { try await Task.sleep(for: .milliseconds(20)) }
        return exitStatus ?? -1
    }

    /// Whether the process has exited; throws once `deadline` passes while it still runs.
    private func exited(deadline: ContinuousClock.Instant, timeout: Duration) throws -> Bool {
        if hasExited() { return true }
        guard ContinuousClock.now < deadline else {
            throw BackgroundProcessError("the process did not exit within \(timeout):\n\(log)")
        }
        return false
    }

    /// The most memory the process has had resident (Linux `VmHWM`), in bytes; nil once it has exited
    /// or where `/proc` does not say.
    package var peakResidentBytes: Int? { statusBytes("VmHWM:") }

    /// The memory the process has resident now (Linux `VmRSS`), in bytes.
    package var residentBytes: Int? { statusBytes("VmRSS:") }

    private func statusBytes(_ field: String) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field) })
        else { return nil }
        let kilobytes = line.split(separator: " ").compactMap { Int($0) }.first
        return kilobytes.map { $0 * 1024 }
    }

    private func hasExited() -> Bool {
        if exitStatus != nil { return true }
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        guard result == pid else { return false }
        let signalled = status & 0x7f
        exitStatus = signalled == 0 ? (status >> 8) & 0xff : 128 + signalled
        return true
    }
}

/// Why a background process could not be started or did not do what its owner waited for.
package struct BackgroundProcessError: Error, CustomStringConvertible {
    package let description: String
    package init(_ description: String) { self.description = description }
}
