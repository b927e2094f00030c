import Foundation
import SluiceHangGuard
import Logging
import SluiceIngest
import SluicePostgres
import SluiceSpool
import SluiceSpoolTesting
import SluiceStore
import SluiceTestSupport
import Synchronization
import Testing

/// Power losses at hundreds of seeded points through the writer, the committer and the loader together, as
/// storage engines test themselves (LevelDB's `FaultInjectionTestEnv`, RocksDB's `FaultInjectionTestFS`):
/// traffic with acknowledgements, a crash at a random file operation (the storage stops, the threads are
/// stopped), the unsynced data dropped (or a random prefix of it kept; directory entries no fsync covered
/// sometimes lost; or everything kept unsynced, as `kill -9` leaves the page cache), sometimes a second crash
/// early in the next run, then a restart on the same storage against a real PostgreSQL, which must succeed,
/// load every acknowledged event exactly once, and store nothing twice when the client sends everything again.
///
/// `SLUICE_CRASH_SEEDS` sets how many seeds run (default 200, about a minute here), `SLUICE_CRASH_FIRST_SEED`
/// the first one (default 0): `SLUICE_CRASH_SEEDS=1 SLUICE_CRASH_FIRST_SEED=N` replays seed N, which every
/// failure names.
@Suite(.serialized) struct SimulatedCrashTests {
    /// What one seed found.
    struct Outcome: Sendable {
        var acknowledged = 0
        var lost: [String] = []
        var duplicated: [String] = []
        var missingAfterResend: [String] = []
        var unexpected: [String] = []
        /// Where the first run's crash landed.
        var phase = Phase.start
        var crashedAgain = false
    }

    enum Phase: String, CaseIterable, Sendable {
        case start = "during start-up", traffic = "during traffic", loading = "while loading", idle = "when idle"
    }

    @Test func everyAcknowledgedEventSurvivesACrashAtAnyOperationExactlyOnce() async throws {
        let environment = ProcessInfo.processInfo.environment
        let seeds = Int(environment["SLUICE_CRASH_SEEDS"] ?? "") ?? 200
        let first = UInt64(environment["SLUICE_CRASH_FIRST_SEED"] ?? "") ?? 0
        let databaseURL = try TestDatabase.fresh("crashsim")
        try Migrator.bundled().migrate(try PostgresConnection(databaseURL))

        var totals = Outcome()
        var phases: [Phase: Int] = [:]
        var crashedAgain = 0
        var failedSeeds: [UInt64] = []
        for seed in first..<first + UInt64(seeds) {
            let outcome = try await Self.run(seed: seed, databaseURL: databaseURL)
            totals.acknowledged += outcome.acknowledged
            totals.lost += outcome.lost
            totals.duplicated += outcome.duplicated
            phases[outcome.phase, default: 0] += 1
            if outcome.crashedAgain { crashedAgain += 1 }
            let failed =
                !(outcome.lost.isEmpty && outcome.duplicated.isEmpty && outcome.missingAfterResend.isEmpty
                && outcome.unexpected.isEmpty)
            if failed { failedSeeds.append(seed) }
            #expect(outcome.lost.isEmpty, "seed \(seed): acknowledged but not loaded: \(outcome.lost.prefix(5))")
            #expect(outcome.duplicated.isEmpty, "seed \(seed): stored twice: \(outcome.duplicated.prefix(5))")
            #expect(
                outcome.missingAfterResend.isEmpty,
                "seed \(seed): resent but missing: \(outcome.missingAfterResend.prefix(5))")
            #expect(outcome.unexpected.isEmpty, "seed \(seed): never sent: \(outcome.unexpected.prefix(5))")
        }
        let landed = Phase.allCases.map { "\(phases[$0] ?? 0) \($0.rawValue)" }.joined(separator: ", ")
        print(
            "simulated crashes: \(seeds) seeds from \(first) (crashed \(landed); \(crashedAgain) crashed again in the "
                + "restart), \(totals.acknowledged) events acknowledged before a crash, \(totals.lost.count) lost, "
                + "\(totals.duplicated.count) duplicated; failed seeds: \(failedSeeds)"
        )
    }

    /// One seed: traffic, a crash at a random operation, sometimes a second crash during the restart, then a
    /// clean restart and the checks.
    static func run(seed: UInt64, databaseURL: String) async throws -> Outcome {
        var random = SplitMix64(seed: seed)
        let storage = FaultInjectingStorage()
        let projectID = Int64(seed) + 1
        var configuration = IngestConfiguration(connectionString: databaseURL)
        configuration.spoolDirectory = "/var/lib/sluice/spool"
        configuration.spoolStorage = storage
        configuration.nodeID = "crash-\(seed)"
        configuration.ack = seed % 4 == 3 ? .memory : .durable
        configuration.dedupeCapacity = 20_000
        // Small segments and batches, so that crashes land in rotations, deletions and checkpoint moves too.
        configuration.spoolSegmentBytes = [1 << 10, 4 << 10, 64 << 10][Int(random.next() % 3)]
        configuration.loadBatchRows = [5, 40, 1_000][Int(random.next() % 3)]

        let traffic = Traffic(prefix: "s\(seed)")
        var outcome = Outcome()

        // The first run, crashed at a random operation: a start takes about 25 operations, the traffic about
        // 35 and the loading about as many, so this spreads the crash over start-up, traffic and loading.
        storage.crash(afterOperations: Int(1 + random.next() % 110))
        if let node = try? SimulatedNode(configuration: configuration, projectID: projectID) {
            await traffic.send(to: node, storage: storage, submissions: 40, random: &random)
            outcome.phase = storage.hasCrashed ? .traffic : .loading
            // Let the loader work until the crash point comes (or it has loaded everything).
            try await HangGuard.wait(for: "seed \(seed): the crash or the loader catching up") {
                storage.hasCrashed || node.server.loader.position >= node.server.committer.committedEnd
            }
            if !storage.hasCrashed { outcome.phase = .idle }
            node.crash(storage)
        }
        restart(storage, random: &random)

        // Sometimes a second crash, early in the next run: during recovery, the checkpoint move, the rebuild.
        if random.next() % 4 == 0 {
            outcome.crashedAgain = true
            storage.crash(afterOperations: Int(1 + random.next() % 80))
            if let node = try? SimulatedNode(configuration: configuration, projectID: projectID) {
                await traffic.send(to: node, storage: storage, submissions: 5, random: &random)
                node.crash(storage)
            }
            restart(storage, random: &random)
        }

        // The restart that must work.
        let node: SimulatedNode
        do {
            node = try SimulatedNode(configuration: configuration, projectID: projectID, logLevel: .error)
        } catch {
            Issue.record("seed \(seed): the restart failed: \(error)")
            return outcome
        }
        defer { node.stop() }
        do {
            try await node.waitUntilLoaded()
        } catch {
            Issue.record("seed \(seed): after the restart: \(error)")
            return outcome
        }
        let acknowledged = traffic.acknowledged.withLock { $0 }
        let sent = traffic.sent.withLock { $0 }
        outcome.acknowledged = acknowledged.count
        var counts = try Self.counts(projectID: projectID, databaseURL: databaseURL)
        if configuration.ack == .durable {
            outcome.lost = acknowledged.filter { counts[$0] == nil }.sorted()
        }
        outcome.duplicated = counts.filter { $0.value > 1 }.map(\.key).sorted()

        // The client sends everything again, acknowledged or not: each id must end up stored exactly once.
        let resend = sent.sorted()
        for start in stride(from: 0, to: resend.count, by: 50) {
            let chunk = Array(resend[start..<min(start + 50, resend.count)])
            if case .failure(let error) = await node.submit(chunk, waitForDurable: true) {
                Issue.record("seed \(seed): a resend was refused: \(error)")
            }
        }
        do {
            try await node.waitUntilLoaded()
        } catch {
            Issue.record("seed \(seed): loading the resent events: \(error)")
            return outcome
        }
        counts = try Self.counts(projectID: projectID, databaseURL: databaseURL)
        outcome.duplicated += counts.filter { $0.value > 1 }.map(\.key).sorted()
        outcome.missingAfterResend = sent.filter { counts[$0] == nil }.sorted()
        outcome.unexpected = counts.keys.filter { !sent.contains($0) }.sorted()
        return outcome
    }

    /// The machine comes back after a power loss (unsynced bytes dropped or torn, unsynced directory entries
    /// kept or lost), or only the process does, after `kill -9` (the page cache keeps everything unsynced, for
    /// a later power loss to take).
    static func restart(_ storage: FaultInjectingStorage, random: inout SplitMix64) {
        let unsynced: FaultInjectingStorage.UnsyncedData =
            switch random.next() % 3 {
            case 0: .dropped
            case 1: .randomPrefix(seed: random.next())
            default: .keptInPageCache
            }
        storage.restart(unsynced: unsynced, entries: random.next() % 3 == 0 ? .lost : .kept)
    }

    static func counts(projectID: Int64, databaseURL: String) throws -> [String: Int] {
        let result = try PostgresConnection(databaseURL).query(
            "SELECT message_id, count(*) FROM analytics.events WHERE project_id = $1 GROUP BY message_id",
            [String(projectID)]
        )
        var counts: [String: Int] = [:]
        for row in 0..<result.rowCount { counts[result.string(row, 0) ?? ""] = try result.int(row, 1) ?? 0 }
        return counts
    }

    /// A client: requests of a few new ids each, some repeating ids sent before, from three concurrent
    /// connections; a request that failed is sent again first thing in the next run, as SDKs retry.
    final class Traffic: Sendable {
        let prefix: String
        let sent = Mutex<Set<String>>([])
        let acknowledged = Mutex<Set<String>>([])
        private let failed = Mutex<[[String]]>([])
        private let next = Atomic<Int>(0)

        init(prefix: String) {
            self.prefix = prefix
        }

        func send(to node: SimulatedNode, storage: FaultInjectingStorage, submissions: Int, random: inout SplitMix64)
            async
        {
            let retries = failed.withLock { failed in
                defer { failed.removeAll() }
                return failed
            }
            let plans = (0..<submissions).map { _ in (size: Int(1 + random.next() % 8), repeats: random.next() % 5 == 0)
            }
            await withTaskGroup(of: Void.self) { group in
                for connection in 0..<3 {
                    group.addTask { [self] in
                        var requests = retries.enumerated().filter { $0.offset % 3 == connection }.map(\.element)
                        for plan in plans.enumerated().filter({ $0.offset % 3 == connection }).map(\.element) {
                            var ids = (0..<plan.size).map { _ in "\(prefix)-\(next.add(1, ordering: .relaxed).newValue)"
                            }
                            if plan.repeats, let old = sent.withLock({ $0.randomElement() }) { ids.append(old) }
                            requests.append(ids)
                        }
                        for ids in requests {
                            if storage.hasCrashed {
                                failed.withLock { $0.append(ids) }
                                continue
                            }
                            sent.withLock { $0.formUnion(ids) }
                            if case .success = await node.submit(ids) {
                                acknowledged.withLock { $0.formUnion(ids) }
                            } else {
                                failed.withLock { $0.append(ids) }
                            }
                        }
                    }
                }
            }
        }
    }
}
