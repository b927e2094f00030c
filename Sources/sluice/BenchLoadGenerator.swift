import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Sends prepared HTTP/1.1 requests to a server over keep-alive connections, one thread per connection,
/// and records each request's latency (from the first byte sent to the last byte of a 200 answer).
///
/// Plain blocking sockets on purpose: the generator must cost the machine as little as possible, since it
/// shares the two cores with the server and PostgreSQL, and a thread per connection blocked in `recv`
/// costs nothing while it waits. A request answered 503 (back-pressure) is sent again after its
/// `Retry-After`-sized pause, and its latency includes the wait, as a client's would.
final class LoadGenerator: Sendable {
    let host: String
    let port: Int
    let requests: [[UInt8]]
    /// Events in each request, for progress.
    let eventsPerRequest: [Int]

    private let nextRequest = Atomic<Int>(0)
    private let sentEvents = Atomic<Int>(0)
    private let retries = Atomic<Int>(0)
    private let failure = Mutex<String?>(nil)
    private let latencies = Mutex<[Double]>([])

    init(host: String, port: Int, requests: [[UInt8]], eventsPerRequest: [Int]) {
        self.host = host
        self.port = port
        self.requests = requests
        self.eventsPerRequest = eventsPerRequest
    }

    /// Events acknowledged so far.
    var acknowledgedEvents: Int { sentEvents.load(ordering: .relaxed) }
    /// Requests answered 503 and sent again.
    var retriedRequests: Int { retries.load(ordering: .relaxed) }

    /// Sends every request over `connections` connections and returns once all are answered 200.
    /// Returns each request's latency in seconds.
    func run(connections: Int) throws -> [Double] {
        let done = DispatchGroup()
        for number in 0..<connections {
            done.enter()
            let thread = Thread { [self] in
                defer { done.leave() }
                do {
                    try sendLoop()
                } catch {
                    failure.withLock { $0 = $0 ?? "connection \(number): \(error)" }
                    // Stop the others: no point finishing a run that is already void.
                    nextRequest.store(requests.count, ordering: .relaxed)
                }
            }
            thread.name = "sluice-bench-\(number)"
            thread.start()
        }
        done.wait()
        if let message = failure.withLock({ $0 }) { throw BenchError(message) }
        return latencies.withLock { $0 }
    }

    private func sendLoop() throws {
        let connection = try HTTPConnection(host: host, port: port)
        var mine: [Double] = []
        mine.reserveCapacity(requests.count / 2)
        defer { latencies.withLock { $0.append(contentsOf: mine) } }
        while true {
            let index = nextRequest.add(1, ordering: .relaxed).oldValue
            guard index < requests.count else { return }
            let started = ContinuousClock.now
            while true {
                let status = try connection.exchange(requests[index])
                if status == 200 { break }
                guard status == 503 || status == 429 else {
                    throw BenchError("the server answered \(status) to request \(index)")
                }
                retries.add(1, ordering: .relaxed)
                usleep(50_000)
            }
            mine.append(BenchFigures.seconds(ContinuousClock.now - started))
            sentEvents.add(eventsPerRequest[index], ordering: .relaxed)
        }
    }
}

/// One keep-alive HTTP/1.1 client connection over a blocking TCP socket.
final class HTTPConnection {
    private let socket: Int32
    private var buffer = [UInt8](repeating: 0, count: 64 * 1024)
    private var pending: [UInt8] = []

    /// - Parameter receiveTimeout: seconds a read may wait before the exchange throws; nil waits as long as
    ///   it takes.
    init(host: String, port: Int, receiveTimeout: Int? = nil) throws {
        socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw BenchError("socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            close(socket)
            throw BenchError("'\(host)' is not an IPv4 address")
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            let message = String(cString: strerror(errno))
            close(socket)
            throw BenchError("cannot connect to \(host):\(port): \(message)")
        }
        var on: Int32 = 1
        setsockopt(socket, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
        if let receiveTimeout {
            var limit = timeval(tv_sec: receiveTimeout, tv_usec: 0)
            setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        }
    }

    deinit { close(socket) }

    /// Sends one request and reads its whole answer; returns the status code.
    func exchange(_ request: [UInt8]) throws -> Int {
        try request.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = send(socket, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
                guard written > 0 else { throw BenchError("send: \(String(cString: strerror(errno)))") }
                offset += written
            }
        }
        // Status line and headers, then Content-Length bytes of body.
        var headerEnd: Int?
        while true {
            if let end = Self.headerEnd(in: pending) {
                headerEnd = end
                break
            }
            try receive()
        }
        let head = String(decoding: pending[..<headerEnd!], as: UTF8.self)
        let lines = head.split(separator: "\r\n")
        guard let statusLine = lines.first, statusLine.hasPrefix("HTTP/1.1 "),
            let status = Int(statusLine.dropFirst(9).prefix(3))
        else { throw BenchError("not an HTTP answer: \(head.prefix(80))") }
        let length =
            lines.first { $0.lowercased().hasPrefix("content-length:") }
            .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
        let total = headerEnd! + length
        while pending.count < total { try receive() }
        pending.removeFirst(total)
        return status
    }

    private func receive() throws {
        let count = buffer.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
        guard count > 0 else {
            throw BenchError(count == 0 ? "the server closed the connection" : "recv: \(String(cString: strerror(errno)))")
        }
        pending.append(contentsOf: buffer[0..<count])
    }

    /// The offset just past `\r\n\r\n`, if the headers are complete.
    private static func headerEnd(in bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 3..<bytes.count
        where bytes[index] == 10 && bytes[index - 1] == 13 && bytes[index - 2] == 10 && bytes[index - 3] == 13 {
            return index + 1
        }
        return nil
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
