import Foundation
import Logging
import SluicePostgres
import SluiceSchedulerCore

/// Renews a run's lease every `renewalPeriod` on a thread and a connection of its own, until stopped.
///
/// When a renewal finds the lease gone (another holder's token), or no renewal has succeeded for a whole
/// timeout (the database unreachable), it marks the run's signals `leaseLost` and ends: the job sees it in
/// `shouldStop`, and its fenced transactions fail in any case.
final class LeaseHeartbeat: @unchecked Sendable {
    // `condition` guards `stopped`; the thread waits on it between renewals so `stop()` ends it at once.
    private let condition = NSCondition()
    private var stopped = false
    private let done = DispatchSemaphore(value: 0)

    /// Starts renewing `lease` at once in the background.
    init(lease: JobLease, connectionString: String, signals: RunSignals, logger: Logger) {
        let thread = Thread { [self] in
            beat(lease: lease, connectionString: connectionString, signals: signals, logger: logger)
            done.signal()
        }
        thread.name = "sluice-lease-\(lease.job)"
        thread.start()
    }

    /// Stops renewing and waits for the thread to end (at most one renewal statement's time).
    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
        done.wait()
    }

    private func beat(lease: JobLease, connectionString: String, signals: RunSignals, logger: Logger) {
        var connection: PostgresConnection?
        var lastRenewal = ContinuousClock.now
        while waitOrStop(lease.timing.renewalPeriod) {
            do {
                if connection == nil || connection?.isOpen == false {
                    connection = try PostgresConnection.connect(connectionString, retry: .never)
                }
                guard try JobLeaseStore.renew(lease, on: connection!) else {
                    logger.warning("lease lost: another holder took it over", metadata: ["job": "\(lease.job)"])
                    signals.markLeaseLost()
                    return
                }
                lastRenewal = .now
            } catch {
                connection = nil
                guard lease.timing.mustAssumeLost(sinceLastRenewal: .now - lastRenewal) else { continue }
                logger.warning(
                    "lease lost: no renewal succeeded for a whole lease timeout",
                    metadata: ["job": "\(lease.job)", "error": "\(error)"]
                )
                signals.markLeaseLost()
                return
            }
        }
    }

    /// Waits `period`; false once `stop()` was called.
    private func waitOrStop(_ period: Duration) -> Bool {
        let deadline = Date(timeIntervalSinceNow: Double(period.milliseconds) / 1000)
        condition.lock()
        defer { condition.unlock() }
        while !stopped && condition.wait(until: deadline) {}
        return !stopped
    }
}
