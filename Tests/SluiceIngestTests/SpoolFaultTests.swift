import Foundation
import SluiceHangGuard
import SluiceIngest
import SluiceSpool
import SluiceSpoolTesting
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Full disks and failed writes through the real server and real HTTP, on a fault-injecting spool storage:
/// nothing is acknowledged that is not durable, the server recovers by itself once it can write again, and
/// `/healthz` fails only when it cannot.
@Suite(.serialized) struct SpoolFaultTests {
    static let directory = "/var/lib/sluice/spool"

    /// Runs `body` with a server on a new database whose spool lives on `storage`.
    static func withServer(
        _ label: String, storage: FaultInjectingStorage,
        _ change: @escaping (inout IngestConfiguration) -> Void = { _ in },
        _ body: (IngestHarness, RunningServer) async throws -> Void
    ) async throws -> IngestHarness {
        let harness = try IngestHarness(label: label)
        try await harness.withServer({
            $0.spoolStorage = storage
            $0.spoolDirectory = directory
            change(&$0)
        }) { server in
            try await body(harness, server)
        }
        return harness
    }

    /// Posts `ids` as one batch; the answer.
    static func post(_ ids: [String], to server: RunningServer, writeKey: String) async throws -> HTTPAnswer {
        try await HTTP.post(
            "\(server.baseURL)/v1/batch", json: Events.batch(ids.map { Events.track($0) }), writeKey: writeKey
        )
    }

    @Test func aFullDiskSmallerThanASegmentAnswers503AndRecoversOnceTheLoaderFreesSpace() async throws {
        // Much less than one 64 MiB segment: the writer must leave a full segment for the loader to delete it.
        let storage = FaultInjectingStorage(capacity: 48 << 10)
        _ = try await Self.withServer("fulldisk", storage: storage) { harness, server in
            let outcome = try await Self.fillAndRecover(server: server, writeKey: harness.writeKey)
            #expect(outcome.refused?.headers["retry-after"] == "1")
            #expect((outcome.refused?.json?["error"] as? [String: Any])?["code"] as? String == "spool_failed")
            #expect(try await HTTP.get("\(server.baseURL)/healthz").status == 200)
            #expect(try await HTTP.get("\(server.baseURL)/readyz").status == 200)
            try await server.waitUntilLoaded()
            let counts = try harness.messageCounts()
            #expect(outcome.acknowledged.allSatisfy { counts[$0] == 1 }, "an acknowledged event is missing")
            #expect(counts.values.allSatisfy { $0 == 1 }, "an event was stored twice")
            // The writer left the full segment, and the loader deleted it.
            let segments = try SpoolSegment.segments(in: Self.directory, storage: storage).map(\.number)
            #expect(segments.first ?? 0 > 0, "segments \(segments)")
            let metrics = try await HTTP.get("\(server.baseURL)/metrics").body
            #expect(metrics.contains("sluice_spool_write_failures_total"))
        }
    }

    /// What filling the disk looked like: the first refusal, and every id acknowledged.
    struct FillOutcome {
        var refused: HTTPAnswer?
        var acknowledged: Set<String> = []
    }

    /// Sends batches of 20 fresh events until one is refused for the full disk, then until 20 batches in a
    /// row are acknowledged again; a refused batch is retried, as a client does.
    static func fillAndRecover(server: RunningServer, writeKey: String) async throws -> FillOutcome {
        var outcome = FillOutcome()
        var batch = 0
        var pending = (0..<20).map { "f-0-\($0)" }
        /// Sends the pending batch once; whether it was acknowledged.
        func send() async throws -> Bool {
            let answer = try await post(pending, to: server, writeKey: writeKey)
            guard answer.status == 200 else {
                if answer.status == 503 && outcome.refused == nil { outcome.refused = answer }
                return false
            }
            outcome.acknowledged.formUnion(pending)
            batch += 1
            pending = (0..<20).map { "f-\(batch)-\($0)" }
            return true
        }
        // Up to 20 acknowledged batches go on at once (so that the hang guard looks at the clock between them);
        // a refused one is retried after the guard's poll interval.
        try await HangGuard.wait(for: "the disk to fill") {
            var sent = 0
            while sent < 20, try await send() { sent += 1 }
            return outcome.refused != nil
        }
        var successesAfterRefusal = 0
        try await HangGuard.wait(for: "the server to take 20 batches in a row again after the full disk") {
            while successesAfterRefusal < 20, try await send() { successesAfterRefusal += 1 }
            return successesAfterRefusal == 20
        }
        return outcome
    }

    @Test func anEIOOnFsyncIsNeverAcknowledgedAndTheRetryIsStoredOnce() async throws {
        let storage = FaultInjectingStorage()
        _ = try await Self.withServer("eiofsync", storage: storage) { harness, server in
            storage.failNext(.sync, errno: EIO, pathContaining: ".seg")
            let failed = try await Self.post(["e-1", "e-2"], to: server, writeKey: harness.writeKey)
            #expect(failed.status == 503)
            #expect(failed.headers["retry-after"] == "1")
            #expect(try await HTTP.get("\(server.baseURL)/healthz").status == 200)

            // The ids of the failed write were forgotten: the client's retry is stored, not taken for a
            // duplicate of events that never reached the disk.
            try await HangGuard.wait(for: "the server to take the retried events") {
                try await Self.post(["e-1", "e-2"], to: server, writeKey: harness.writeKey).status == 200
            }
            try await server.waitUntilLoaded()
            #expect(try harness.messageCounts() == ["e-1": 1, "e-2": 1])
        }
    }

    @Test func aFailedCutBackIsPermanentAndHealthzSaysSo() async throws {
        let storage = FaultInjectingStorage()
        let harness = try await Self.withServer("cutfails", storage: storage) { harness, server in
            storage.failNext(.sync, errno: EIO, pathContaining: ".seg")
            storage.failNext(.truncate, errno: EIO)
            #expect(try await Self.post(["c-1"], to: server, writeKey: harness.writeKey).status == 503)
            let health = try await HTTP.get("\(server.baseURL)/healthz")
            #expect(health.status == 503)
            #expect(health.body.contains("restart"))
            let ready = try await HTTP.get("\(server.baseURL)/readyz")
            #expect(ready.status == 503)
            #expect(ready.body.contains(#""ready":false"#))
            #expect(try await Self.post(["c-2"], to: server, writeKey: harness.writeKey).status == 503)
        }
        #expect(try harness.messageCounts().isEmpty)
    }

    @Test func aHeldFsyncHoldsTheAnswerUntilItCompletes() async throws {
        let storage = FaultInjectingStorage()
        _ = try await Self.withServer("heldsync", storage: storage) { harness, server in
            storage.holdSyncs()
            let answered = Answered()
            let request = Task {
                let answer = try await Self.post(["h-1"], to: server, writeKey: harness.writeKey)
                answered.set()
                return answer
            }
            try await HangGuard.wait(for: "the fsync to start") { storage.heldSyncs >= 1 }
            #expect(!answered.isSet, "answered before its fsync completed")
            storage.releaseSyncs()
            let answer = try await request.value
            #expect(answer.status == 200)
        }
    }

    @Test func aCheckpointTakenOverByAnotherSpoolStopsLoadingAndFailsHealthz() async throws {
        _ = try await Self.withServer("takenover", storage: FaultInjectingStorage()) { harness, server in
            #expect(try await Self.post(["t-1"], to: server, writeKey: harness.writeKey).status == 200)
            try await server.waitUntilLoaded()
            // Another spool now claims this node's checkpoint, and the loader's session breaks, so the loader
            // reads the checkpoint again before its next batch.
            let database = try harness.connection()
            try database.execute("UPDATE sluice.spool_checkpoints SET spool_id = 'other-spool'")
            try database.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'sluice loader%' AND datname = current_database()"
            )
            #expect(try await Self.post(["t-2"], to: server, writeKey: harness.writeKey).status == 200)
            var health = try await HTTP.get("\(server.baseURL)/healthz")
            try await HangGuard.wait(for: "the loader to read the checkpoint again and refuse it") {
                health = try await HTTP.get("\(server.baseURL)/healthz")
                return health.status == 503
            }
            #expect(health.body.contains("belongs to spool other-spool"))
            // Events are still taken durably; they wait in the spool, unloaded.
            let ready = try await HTTP.get("\(server.baseURL)/readyz")
            #expect(ready.status == 200)
            #expect(ready.body.contains(#""loader":"#))
            #expect(try await Self.post(["t-3"], to: server, writeKey: harness.writeKey).status == 200)
            #expect(try harness.messageCounts() == ["t-1": 1])
        }
    }

    @Test func readinessFollowsTheSpoolBudgetAndSaysWhy() async throws {
        _ = try await Self.withServer("readybudget", storage: FaultInjectingStorage(), { $0.spoolMaxBytes = 1 }) {
            harness, server in
            _ = try await Self.post(["r-1"], to: server, writeKey: harness.writeKey)
            var ready = try await HTTP.get("\(server.baseURL)/readyz")
            try await HangGuard.wait(for: "the spool to count as over its budget") {
                ready = try await HTTP.get("\(server.baseURL)/readyz")
                return ready.status == 503
            }
            #expect(ready.body.contains(#""ready":false,"database":"ok""#))
            #expect(ready.body.contains("disk budget"))
            #expect(try await HTTP.get("\(server.baseURL)/healthz").status == 200)
        }
    }
}

/// A flag set once, from any task.
final class Answered: Sendable {
    private let flag = Atomic<Bool>(false)
    var isSet: Bool { flag.load(ordering: .sequentiallyConsistent) }
    func set() { flag.store(true, ordering: .sequentiallyConsistent) }
}
