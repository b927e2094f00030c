import DequeModule
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
public struct DedupeWindow {
    package let window: Duration
    package let capacity: Int

    /// Hash → the second it was inserted (seconds since this window's epoch).
    private var seen: [UInt64: UInt32] = [:]
    /// The insertion order, for expiry: a ring buffer, so expiring the oldest never moves the others.
    private var order: Deque<(key: UInt64, second: UInt32)> = []
    private let epoch: ContinuousClock.Instant
    /// Ids forgotten before their time because the window was full.
    package private(set) var evictedEarly = 0

    /// An empty window that remembers a key for `window` (in whole seconds) and at most `capacity` keys (at least 1).
    public init(window: Duration, capacity: Int) {
        self.window = window
        self.capacity = max(1, capacity)
        self.epoch = .now
        // Sized once for the whole window: growing either later would copy or rehash millions of entries
        // while every acknowledgement waits on the committer. The price is memory up front: keys spread over
        // all of the table's buckets, so a window sized for 5 million ids is resident at about 100 MB once it
        // holds a million (the insertion-order ring is only touched as far as it is filled).
        seen.reserveCapacity(self.capacity)
        order.reserveCapacity(self.capacity)
    }

    package var count: Int { seen.count }

    /// The dedupe key of one event.
    public static func key(projectID: Int64, messageID: some StringProtocol) -> UInt64 {
        var hasher = Hasher()
        hasher.combine(projectID)
        // One call for the whole id: feeding `Hasher` byte by byte costs several times more.
        var id = String(messageID)
        id.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        return UInt64(bitPattern: Int64(hasher.finalize()))
    }

    /// Records `key` and answers true if it is new (store the event), false if it was seen in the window.
    public mutating func insert(_ key: UInt64, now: ContinuousClock.Instant = .now) -> Bool {
        let second = self.second(of: now)
        expire(before: second)
        if seen[key] != nil { return false }
        if seen.count >= capacity {
            evictOldestRemembered()
            evictedEarly += 1
        }
        seen[key] = second
        order.append((key, second))
        return true
    }

    /// Forgets `key`, so its next ``insert(_:now:)`` is new again: for the events of a write that failed,
    /// which were never stored and which the client will send again.
    ///
    /// The key's slot in the insertion order stays behind and is passed over when it expires or when the
    /// capacity evicts the oldest key.
    package mutating func remove(_ key: UInt64) {
        seen[key] = nil
    }

    /// Whether `key` is currently remembered.
    package func contains(_ key: UInt64) -> Bool { seen[key] != nil }

    private func second(of instant: ContinuousClock.Instant) -> UInt32 {
        UInt32(clamping: (instant - epoch).components.seconds)
    }

    private mutating func expire(before now: UInt32) {
        let windowSeconds = window.components.seconds
        while let oldest = order.first, Int64(now) - Int64(oldest.second) > windowSeconds {
            evictOldest()
        }
    }

    /// Evicts the oldest key still remembered, passing over the slots of keys removed or inserted again.
    private mutating func evictOldestRemembered() {
        while let oldest = order.popFirst() {
            if seen[oldest.key] == oldest.second {
                seen[oldest.key] = nil
                return
            }
        }
    }

    private mutating func evictOldest() {
        guard let oldest = order.popFirst() else { return }
        // A key re-inserted after expiry has a newer second; only the matching entry owns the slot.
        if seen[oldest.key] == oldest.second { seen[oldest.key] = nil }
    }
}
