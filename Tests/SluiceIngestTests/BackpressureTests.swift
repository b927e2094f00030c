import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import SluiceEnrichment
import SluiceIngest
import SluiceRing
import SluiceSpool
import SluiceTestSupport
import Testing

/// A full ring answers 503 with `Retry-After` after the bounded wait, never queueing without bound.
@Suite struct BackpressureTests {
    @Test func aFullRingAnswers503WithRetryAfter() async throws {
        let harness = try IngestHarness(label: "ringfull")
        defer { harness.removeSpool() }
        let configuration = harness.configuration {
            $0.ack = .memory
            $0.ringCapacity = 2
            $0.backpressureWait = .milliseconds(100)
        }
        try FileManager.default.createDirectory(atPath: harness.spoolDirectory, withIntermediateDirectories: true)
        var logger = Logger(label: "sluice-test")
        logger.logLevel = .warning
        // A committer that is never started: nothing drains its two-slot ring.
        let committer = SpoolCommitter(
            ring: BoundedQueue(capacity: configuration.ringCapacity),
            writer: try SpoolWriter(directory: harness.spoolDirectory),
            dedupe: DedupeWindow(window: .seconds(60), capacity: 100), directory: harness.spoolDirectory,
            ack: .memory, logger: logger, onCommit: {}
        )
        let projects = ProjectDirectory(connectionString: harness.connectionString, logger: logger)
        try projects.load()
        let router = Router(context: IngestRequestContext.self)
        IngestController(
            configuration: configuration, committer: committer, projects: projects,
            enricher: Enricher(secret: Array(repeating: 1, count: 32)), logger: logger
        ).addRoutes(to: router)
        let (statuses, refused) = try await withRunningApplication(
            logger: logger,
            { onServerRunning in
                Application(
                    router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                    onServerRunning: onServerRunning, logger: logger
                )
            }
        ) { port in
            var statuses: [Int] = []
            var refused: HTTPAnswer?
            for number in 0..<3 {
                let answer = try await HTTP.post(
                    "http://127.0.0.1:\(port)/v1/batch", json: Events.batch([Events.track("ring-\(number)")]),
                    writeKey: harness.writeKey
                )
                statuses.append(answer.status)
                if answer.status == 503 { refused = answer }
            }
            return (statuses, refused)
        }

        #expect(statuses == [200, 200, 503])
        #expect(refused?.headers["retry-after"] == "1")
        #expect((refused?.json?["error"] as? [String: Any])?["code"] as? String == "overloaded")
    }
}
