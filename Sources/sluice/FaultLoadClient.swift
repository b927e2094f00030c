import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Steady load for the fault table: a few threads posting small `/v1/batch` requests, each event with a
/// messageId of its own, recording every messageId the server acknowledged (answered 200).
///
/// It behaves as Segment's SDKs do: a request answered 503 or 429, or one whose connection broke before
/// its answer (the server was killed, say), is sent again with the same messageIds until it is answered
/// 200. So a request the server stored but could not answer reaches it twice, and the fault table then
/// checks that the dedupe stored it once.
final class FaultLoadClient: Sendable {
    let host: String
    let port: Int
    let writeKey: String
    let label: String
    let eventsPerRequest: Int
    /// The pause between a thread's requests, which keeps the load steady rather than flat out.
    let pause: Duration

    private let nextRequest = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)
    private let abandoning = Atomic<Bool>(false)
    private let acknowledged = Mutex<[String]>([])
    private let acknowledgedRequests = Atomic<Int>(0)
    private let refusals = Atomic<Int>(0)
    private let broken = Atomic<Int>(0)
    private let running = DispatchGroup()

    init(host: String, port: Int, writeKey: String, label: String, eventsPerRequest: Int = 20, pause: Duration) {
        self.host = host
        self.port = port
        self.writeKey = writeKey
        self.label = label
        self.eventsPerRequest = eventsPerRequest
        self.pause = pause
    }

    /// Every messageId acknowledged so far.
    var acknowledgedIDs: [String] { acknowledged.withLock { $0 } }
    /// How many events have been acknowledged so far.
    var acknowledgedCount: Int { acknowledgedRequests.load(ordering: .relaxed) * eventsPerRequest }
    /// Requests answered 503 or 429 and sent again.
    var refusedRequests: Int { refusals.load(ordering: .relaxed) }
    /// Requests whose connection broke before an answer, sent again on a new connection.
    var brokenRequests: Int { broken.load(ordering: .relaxed) }

    /// Starts `threads` sending threads; they run until ``stop()``.
    func start(threads: Int) {
        for number in 0..<threads {
            running.enter()
            let thread = Thread { [self] in
                defer { running.leave() }
                sendLoop(thread: number)
            }
            thread.name = "sluice-faults-\(number)"
            thread.start()
        }
    }

    /// Lets each thread finish the request it is sending (until it is acknowledged), then returns.
    func stop() {
        stopping.store(true, ordering: .relaxed)
        running.wait()
    }

    /// Stops every thread at its next attempt, acknowledged or not: for a run that failed, whose server may
    /// never answer again (``stop()`` would wait for it forever).
    func abandon() {
        abandoning.store(true, ordering: .relaxed)
        stop()
    }

    private func sendLoop(thread: Int) {
        var connection: HTTPConnection?
        while !stopping.load(ordering: .relaxed) {
            let index = nextRequest.add(1, ordering: .relaxed).oldValue
            let ids = (0..<eventsPerRequest).map { "\(label)-\(index)-\($0)" }
            let request = Self.request(ids: ids, person: "\(label)-person-\(thread)", writeKey: writeKey)
            // Sent until answered 200, however long the fault lasts: an acknowledged event is what the table
            // counts, and a client that gave up would leave nothing to check.
            while true {
                if abandoning.load(ordering: .relaxed) { return }
                do {
                    if connection == nil { connection = try HTTPConnection(host: host, port: port, receiveTimeout: 60) }
                    let status = try connection!.exchange(request)
                    if status == 200 { break }
                    guard status == 503 || status == 429 else {
                        Terminal.note("the server answered \(status) to a valid request; sending it again")
                        connection = nil
                        usleep(100_000)
                        continue
                    }
                    refusals.add(1, ordering: .relaxed)
                    usleep(50_000)
                } catch {
                    broken.add(1, ordering: .relaxed)
                    connection = nil
                    usleep(50_000)
                }
            }
            acknowledged.withLock { $0.append(contentsOf: ids) }
            acknowledgedRequests.add(1, ordering: .relaxed)
            let nanoseconds = pause.components.seconds * 1_000_000_000 + pause.components.attoseconds / 1_000_000_000
            if nanoseconds > 0 { usleep(useconds_t(nanoseconds / 1_000)) }
        }
    }

    private static func request(ids: [String], person: String, writeKey: String) -> [UInt8] {
        let now = ISO8601DateFormatter().string(from: Date())
        let events = ids.map {
            #"{"type":"track","event":"Fault Probe","messageId":"\#($0)","anonymousId":"\#(person)","#
                + #""timestamp":"\#(now)","properties":{"probe":true}}"#
        }
        let body = Array(#"{"batch":[\#(events.joined(separator: ","))]}"#.utf8)
        let authorization = "Basic " + Data("\(writeKey):".utf8).base64EncodedString()
        var request = Array(
            ("POST /v1/batch HTTP/1.1\r\nHost: sluice\r\nAuthorization: \(authorization)\r\n"
                + "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n").utf8
        )
        request.append(contentsOf: body)
        return request
    }
}
