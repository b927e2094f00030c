import Foundation
import SluiceHangGuard

#if canImport(Glibc)
import Glibc
#endif

/// A plain TCP client socket to the server under test, for the clients URLSession will not play: one that
/// stalls mid-request, trickles bytes, or holds a connection idle.
///
/// Waits never block a thread: `poll` with a zero timeout between short `Task.sleep`s, because the servers under
/// test run their handlers on the same small cooperative thread pool, and a test blocking one of its threads
/// would stall every server in the process. Every wait takes a hang guard, and a guard that runs out throws an
/// error saying the server hung.
final class RawConnection: @unchecked Sendable {
    // One owner at a time (each test drives its connections from one task); the descriptor never changes.
    private let descriptor: Int32

    init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw HarnessError("socket() failed: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            close(descriptor)
            throw HarnessError("connect() to port \(port) failed: errno \(errno)")
        }
    }

    deinit {
        close(descriptor)
    }

    /// Sends `text`; false if the server has closed the connection (EPIPE, ECONNRESET).
    @discardableResult
    func send(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let result = bytes[sent...].withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if result <= 0 { return false }
            sent += result
        }
        return true
    }

    /// What arrives within `timeout`: bytes, an end of stream (the server closed), or nothing yet.
    enum Arrival: Equatable {
        case bytes([UInt8])
        case closed
        case nothing
    }

    /// Waits up to `timeout` for bytes or the end of the stream.
    func receive(within timeout: Duration) async -> Arrival {
        let deadline = ContinuousClock.now + timeout
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        while poll(&poller, 1, 0) <= 0 {
            guard ContinuousClock.now < deadline else { return .nothing }
            try? await Task.sleep(for: .milliseconds(5))  // allow-timing: the poll primitive under every wait
        }
        var buffer = [UInt8](repeating: 0, count: 65536)
        let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
        return count > 0 ? .bytes(Array(buffer[..<count])) : .closed
    }

    /// Reads until a whole HTTP response with a `Content-Length` body has arrived; returns its text.
    func readResponse(guard timeout: Duration = HangGuard.limit) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        var received: [UInt8] = []
        while ContinuousClock.now < deadline {
            switch await receive(within: .seconds(1)) {  // allow-timing: one poll slice of the guarded wait
            case .bytes(let bytes):
                received += bytes
                let text = String(decoding: received, as: UTF8.self)
                if let headEnd = text.range(of: "\r\n\r\n") {
                    let head = text[..<headEnd.lowerBound].lowercased()
                    let length = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                        .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
                    if text[headEnd.upperBound...].utf8.count >= length { return text }
                }
            case .closed:
                throw HarnessError("the server closed the connection before answering: \(String(decoding: received, as: UTF8.self))")
            case .nothing:
                continue
            }
        }
        throw HarnessError("no answer within \(timeout): the server hung")
    }

    /// Waits until the server closes the connection, discarding whatever it sends first.
    func waitForClose(guard timeout: Duration = HangGuard.limit) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if await receive(within: .seconds(1)) == .closed { return }  // allow-timing: one poll slice of the guarded wait
        }
        throw HarnessError("the server did not close the connection within \(timeout): it hung")
    }
}
