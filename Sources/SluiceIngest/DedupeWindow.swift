import DequeModule
import SluiceCore

/// The messageIds seen recently, per project: the first copy of an event is stored, later ones dropped.
///
/// Keys are 64-bit hashes of (project id, messageId) rather than the strings. Two different ids share a hash
/// with probability about n²/2⁶⁵ (n = ids in the window): for the default 5 million, about one in 1.5 million
/// windows drops one event as a false duplicate. The hash is Swift's `Hasher` (SipHash-1-3 with a per-process
/// random seed), so a client cannot craft collisions; the window is rebuilt on start, never persisted, so the
/// seed need not be stable.
///
/// Every entry carries the time its event was received (whole seconds), given by the caller: the receive time
/// of a live event, or the `received_at` of a row or spool record when the window is rebuilt, so that a
/// rebuilt entry expires when its event leaves the window, not a full window after the restart. Entries are
/// kept in time order and expire oldest first once older than the window, or earlier when `capacity` is
/// reached (then the oldest go first: the memory bound wins over the time window, and the metrics say so).
///
/// Two ways in, both keeping that order:
/// - ``insert(_:at:)`` for events as they arrive: a time earlier than the newest entry (a clock that stepped
///   back, records of an earlier process) is taken as the newest entry's, so an entry is remembered at least
///   as long as the window, never less.
/// - ``mergeOlder(_:)`` for ids learned later that are older than some already held (the database's ids, read
///   once PostgreSQL is reachable again after a start during an outage): they are merged into place, in
///   chunks, without moving the whole window. The merged part lives in a second run of entries in front of
///   the first, so expiry simply takes from it first.
///
/// Not thread-safe: owned by the spool committer's thread, which is the only place that decides.
public struct DedupeWindow {
    package let window: Duration
    package let capacity: Int

    /// One remembered id: its key and its receive second (seconds since ``epoch``).
    package typealias Entry = (key: UInt64, second: UInt32)

    /// Hash → the second of its entry.
    private var seen: [UInt64: UInt32] = [:]
    /// The entries merged in by ``mergeOlder(_:)``, in time order; every one is no newer than `order.first`.
    private var merged: Deque<Entry> = []
    /// The other entries, in time order: a ring buffer, so expiring the oldest never moves the others.
    private var order: Deque<Entry> = []
    /// Unix seconds of second 0: one window before the instant the window was created, so that rebuilt
    /// entries (at most one window old) are representable.
    private let epoch: Int64
    /// The newest second inserted or merged: the window's "now", from which entries expire.
    private var latest: UInt32
    /// Ids forgotten before their time because the window was full.
    package private(set) var evictedEarly = 0

    /// An empty window that remembers a key for `window` (in whole seconds) and at most `capacity` keys (at
    /// least 1), starting at `now`.
    public init(window: Duration, capacity: Int, now: Timestamp = .now()) {
        self.window = window
        self.capacity = max(1, capacity)
        let windowSeconds = max(0, window.components.seconds)
        self.epoch = Self.unixSeconds(now) - windowSeconds - 1
        self.latest = UInt32(clamping: windowSeconds + 1)
        // Sized once for the whole window: growing either later would copy or rehash millions of entries
        // while every acknowledgement waits on the committer. The price is memory up front: keys spread over
        // all of the table's buckets (docs/operations.md has the measured bytes per id).
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

    /// Records `key`, received at `time`, and answers true if it is new (store the event), false if it was
    /// seen in the window.
    public mutating func insert(_ key: UInt64, at time: Timestamp) -> Bool {
        let second = max(self.second(of: time), newestSecond)
        latest = max(latest, second)
        expire()
        if seen[key] != nil { return false }
        if seen.count >= capacity {
            evictOldestRemembered()
            evictedEarly += 1
        }
        seen[key] = second
        order.append((key, second))
        return true
    }

    /// Forgets `key`, so its next ``insert(_:at:)`` is new again: for the events of a write that failed,
    /// which were never stored and which the client will send again.
    ///
    /// The key's slot in the insertion order stays behind and is passed over when it expires or when the
    /// capacity evicts the oldest key.
    package mutating func remove(_ key: UInt64) {
        seen[key] = nil
    }

    /// Merges ids received at the given times, older than some of those already held, into place.
    ///
    /// `entries` must come oldest first, and so must successive calls (one stream, in chunks); a time earlier
    /// than the last one merged is taken as that one's. Entries already older than the window are skipped.
    ///
    /// - Returns: the keys that were already in the window (the entry there is kept): ids that both this
    ///   stream and the window know.
    package mutating func mergeOlder(_ entries: [(key: UInt64, receivedAt: Timestamp)]) -> [UInt64] {
        var present: [UInt64] = []
        let windowSeconds = window.components.seconds
        for (key, time) in entries {
            if seen[key] != nil {
                present.append(key)
                continue
            }
            let second = max(self.second(of: time), merged.last?.second ?? 0)
            latest = max(latest, second)
            guard Int64(latest) - Int64(second) <= windowSeconds else { continue }
            while let first = order.first, first.second <= second {
                merged.append(order.removeFirst())
            }
            if seen.count >= capacity {
                evictOldestRemembered()
                evictedEarly += 1
            }
            seen[key] = second
            merged.append((key, second))
        }
        expire()
        return present
    }

    /// Whether `key` is currently remembered.
    package func contains(_ key: UInt64) -> Bool { seen[key] != nil }

    /// Seconds of traffic the window covers now: from its oldest entry to its newest time. Equal to the
    /// configured window once it has run that long with room to spare; shorter when the capacity forces the
    /// oldest out early (the ids of a longer stretch do not fit).
    package var spanSeconds: Int {
        guard let oldest = merged.first ?? order.first else { return 0 }
        return Int(latest) - Int(oldest.second)
    }

    /// The second of the newest entry (the last of `order`, else of `merged`), 0 when empty.
    private var newestSecond: UInt32 { order.last?.second ?? merged.last?.second ?? 0 }

    private func second(of time: Timestamp) -> UInt32 {
        UInt32(clamping: Self.unixSeconds(time) - epoch)
    }

    /// Whole Unix seconds of `time`, rounded down.
    private static func unixSeconds(_ time: Timestamp) -> Int64 {
        let micros = time.unixMicroseconds
        return micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
    }

    private mutating func expire() {
        let windowSeconds = window.components.seconds
        while let oldest = merged.first ?? order.first, Int64(latest) - Int64(oldest.second) > windowSeconds {
            evictOldest()
        }
    }

    /// Evicts the oldest key still remembered (the merged run first), passing over the slots of keys removed
    /// by ``remove(_:)`` or inserted again since.
    private mutating func evictOldestRemembered() {
        while let oldest = merged.isEmpty ? order.popFirst() : merged.popFirst() {
            if seen[oldest.key] == oldest.second {
                seen[oldest.key] = nil
                return
            }
        }
    }

    /// Drops the oldest slot (the merged run first), and its key unless that key was removed or inserted again
    /// since (then a newer slot owns it).
    private mutating func evictOldest() {
        guard let oldest = merged.isEmpty ? order.popFirst() : merged.popFirst() else { return }
        if seen[oldest.key] == oldest.second { seen[oldest.key] = nil }
    }
}
