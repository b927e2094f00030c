import Foundation
import SluiceHangGuard

/// One running headless Chromium process, with its own profile directory and its output in files (a pipe
/// would fill up and stall the browser while nobody reads it).
///
/// Waiting for it happens on a thread of its own (``waitForExit()``), never on the cooperative pool.
public final class BrowserSession: Sendable {
    private let process: Process
    private let directory: String

    init(executable: String, arguments: [String]) throws {
        directory = FileManager.default.temporaryDirectory.path + "/sluice-chromium-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: directory + "/stdout", contents: nil)
        FileManager.default.createFile(atPath: directory + "/stderr", contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["--user-data-dir=\(directory)/profile"] + arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: directory + "/stdout"))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: directory + "/stderr"))
        do {
            try process.run()
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw BrowserError("could not start \(executable): \(error)")
        }
        self.process = process
    }

    deinit {
        if process.isRunning { process.terminate() }
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// What the browser has written to standard output so far.
    public var output: String {
        (try? String(contentsOfFile: directory + "/stdout", encoding: .utf8)) ?? ""
    }

    /// The last 20 lines of the browser's standard error, for failure messages.
    public var logTail: String {
        let log = (try? String(contentsOfFile: directory + "/stderr", encoding: .utf8)) ?? ""
        return log.split(separator: "\n").suffix(20).joined(separator: "\n")
    }

    /// Waits for the browser to exit by itself and returns its exit status.
    /// - Throws: ``Hung`` when it is still running after ``HangGuard/limit`` (it is killed then).
    public func waitForExit() async throws -> Int32 {
        let process = process
        return try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                let exited = DispatchSemaphore(value: 0)
                process.terminationHandler = { _ in exited.signal() }
                if process.isRunning && exited.wait(timeout: .now() + HangGuard.limitInSeconds) == .timedOut {
                    process.terminate()
                    continuation.resume(throwing: Hung("headless chromium to finish its page"))
                    return
                }
                process.waitUntilExit()
                continuation.resume(returning: process.terminationStatus)
            }
            thread.name = "sluice-chromium-wait"
            thread.start()
        }
    }

    /// Stops the browser (SIGTERM) and waits for it to exit.
    public func close() async throws {
        if process.isRunning { process.terminate() }
        _ = try await waitForExit()
    }
}
