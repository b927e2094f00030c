import SluiceCore

/// The messageIds seen recently, per project: the first copy of an event is stored, later ones dropped.
///
/// Keys are 64-bit hashes of (project id, messageId) rather than the strings, so a million remembered
/// ids cost about 30 MB. Two different ids share a hash with probability about n²/2⁶⁵ (n = ids in the
/// window): for the default 5 million, about one in 1.5 million windows drops one event as a false
/// duplicate. The hash is Swift's `Hasher` (SipHash-1-3 with a per-process random seed), so a client
/// cannot craft collisions; the window is rebuilt on start, never persisted, so the seed need not be stable.
///
/// Entries expire in insertion order once older than the window, or earlier when `capacity` is reached
/// (then the oldest go first: the memory bound wins over the time window, and the metrics say so).
///
/// Not thread-safe: owned by the spool committer's thread, which is the only place that decides.
package struct DedupeWindow {
    package let window: Duration
    package let capacity: Int

    /// Hash → the second it was inserted (seconds since this window's epoch).
    private var seen: [UInt64: UInt32] = [:]
    /// The insertion order, for expiry: a FIFO over `order[head...]`, compacted as it drains.
    private var order: [(key: UInt64, second: UInt32)] = []
    private var head = 0
    private let epoch: ContinuousClock.Instant
    /// Ids forgotten before their time because the window was full.
    package private(set) var evictedEarly = 0

    package init(window: Duration, capacity: Int) {
        self.window = window
        self.capacity = max(1, capacity)
        self.epoch = .now
    }

    package var count: Int { seen.count }

    /// The dedupe key of one event.
    package static func key(projectID: Int64, messageID: some StringProtocol) -> UInt64 {
        var hasher = Hasher()
        hasher.combine(projectID)
        for byte in messageID.utf8 { hasher.combine(byte) }
        return UInt64(bitPattern: Int64(hasher.finalize()))
    }

    /// Records `key` and answers true if it is new (store the event), false if it was seen in the window.
    package mutating func insert(_ key: UInt64, now: ContinuousClock.Instant = .now) -> Bool {
        let second = self.second(of: now)
        expire(before: second)
        if seen[key] != nil { return false }
        if seen.count >= capacity {
            evictOldest()
            evictedEarly += 1
        }
        seen[key] = second
        order.append((key, second))
        return true
    }

    /// Whether `key` is currently remembered.
    package func contains(_ key: UInt64) -> Bool { seen[key] != nil }

    private func second(of instant: ContinuousClock.Instant) -> UInt32 {
        UInt32(clamping: (instant - epoch).components.seconds)
    }

    private mutating func expire(before now: UInt32) {
        let windowSeconds = window.components.seconds
        while head < order.count, Int64(now) - Int64(order[head].second) > windowSeconds {
            evictOldest()
        }
    }

    private mutating func evictOldest() {
        guard head < order.count else { return }
        let oldest = order[head]
        head += 1
        // A key re-inserted after expiry has a newer second; only the matching entry owns the slot.
        if seen[oldest.key] == oldest.second { seen[oldest.key] = nil }
        if head >= 4096 && head * 2 >= order.count {
            order.removeFirst(head)
            head = 0
        }
    }
}
