// SluiceRing: the lock-free bounded queues that carry decoded events from the HTTP event loops to the spool
// writer. This is the only file of Sluice with hand-written atomics; every ordering is argued below.

import Synchronization

/// A bounded, lock-free, multi-producer multi-consumer FIFO queue: Dmitry Vyukov's bounded MPMC queue
/// with a sequence number per slot.
///
/// Each slot carries a sequence number that says whose turn it is. For the slot at `position & mask`:
/// `sequence == position` means it is free for the producer that claims `position`; `sequence ==
/// position + 1` means it holds the value for the consumer that claims `position`; after that consumer
/// takes it, `sequence = position + capacity` hands it to the producer one lap later. A producer or
/// consumer claims a position with one compare-and-exchange on the shared index, then owns the slot
/// exclusively until it publishes the new sequence number, so values themselves are plain memory.
///
/// Neither operation ever waits: ``enqueue(_:)`` answers `false` when the queue is full and ``dequeue()``
/// `nil` when it is empty; the caller decides how long to wait (the ingest path answers 503 after a
/// bounded wait, so memory stays bounded under any load).
///
/// Thread safety: every method may be called from any thread at the same time.
public final class BoundedQueue<Element: Sendable>: @unchecked Sendable {
    // @unchecked Sendable: the values live in raw memory whose ownership passes between threads only
    // through the acquire/release protocol on `sequences` documented on each method.

    /// The number of slots: the requested capacity rounded up to a power of two.
    public let capacity: Int
    private let mask: Int
    private let sequences: UnsafeMutablePointer<Atomic<Int>>
    private let values: UnsafeMutablePointer<Element>
    /// The two shared indices, each on its own pair of cache lines (128 bytes, because adjacent-line
    /// prefetching pulls lines in pairs) so producers bumping one do not evict the line consumers read.
    private let indices: UnsafeMutableRawPointer
    private static var indexStride: Int { 128 }

    private var enqueueIndex: UnsafeMutablePointer<Atomic<Int>> {
        indices.assumingMemoryBound(to: Atomic<Int>.self)
    }
    private var dequeueIndex: UnsafeMutablePointer<Atomic<Int>> {
        (indices + Self.indexStride).assumingMemoryBound(to: Atomic<Int>.self)
    }

    /// A queue with room for at least `capacity` elements (rounded up to a power of two, at least 2).
    public init(capacity requested: Int) {
        precondition(requested > 0 && requested <= 1 << 40, "capacity must be in 1...2^40")
        var capacity = 2
        while capacity < requested { capacity <<= 1 }
        self.capacity = capacity
        mask = capacity - 1
        sequences = .allocate(capacity: capacity)
        for index in 0..<capacity {
            (sequences + index).initialize(to: Atomic(index))
        }
        values = .allocate(capacity: capacity)
        indices = .allocate(byteCount: 2 * Self.indexStride, alignment: Self.indexStride)
        indices.initializeMemory(as: Atomic<Int>.self, to: Atomic(0))
        (indices + Self.indexStride).initializeMemory(as: Atomic<Int>.self, to: Atomic(0))
    }

    deinit {
        // No other thread can hold a reference any more, so draining needs no care about ordering.
        while dequeue() != nil {}
        sequences.deinitialize(count: capacity)
        sequences.deallocate()
        values.deallocate()
        enqueueIndex.deinitialize(count: 1)
        dequeueIndex.deinitialize(count: 1)
        indices.deallocate()
    }

    /// Appends `element`; `false` when the queue is full (the element is then dropped by this call and
    /// stays with the caller's copy).
    public func enqueue(_ element: Element) -> Bool {
        // Relaxed: the index is only a hint of where to try; the slot's sequence decides.
        var position = enqueueIndex.pointee.load(ordering: .relaxed)
        while true {
            let slot = position & mask
            // Acquiring: pairs with the consumer's releasing store of `position`, so the consumer's move
            // out of this slot happens before our write into it.
            let sequence = sequences[slot].load(ordering: .acquiring)
            let difference = sequence - position
            if difference == 0 {
                // Relaxed: claiming the position only needs atomicity; the data is published below.
                let (exchanged, current) = enqueueIndex.pointee.weakCompareExchange(
                    expected: position, desired: position + 1, ordering: .relaxed
                )
                if exchanged { break }
                position = current
            } else if difference < 0 {
                return false  // the slot still holds the value from one lap ago: full
            } else {
                position = enqueueIndex.pointee.load(ordering: .relaxed)  // another producer took it
            }
        }
        let slot = position & mask
        (values + slot).initialize(to: element)
        // Releasing: publishes the value written above to the consumer that acquires this sequence.
        sequences[slot].store(position + 1, ordering: .releasing)
        return true
    }

    /// Removes and returns the oldest element; `nil` when the queue is empty.
    public func dequeue() -> Element? {
        var position = dequeueIndex.pointee.load(ordering: .relaxed)
        while true {
            let slot = position & mask
            // Acquiring: pairs with the producer's releasing store of `position + 1`, so its write of the
            // value happens before our read of it.
            let sequence = sequences[slot].load(ordering: .acquiring)
            let difference = sequence - (position + 1)
            if difference == 0 {
                let (exchanged, current) = dequeueIndex.pointee.weakCompareExchange(
                    expected: position, desired: position + 1, ordering: .relaxed
                )
                if exchanged { break }
                position = current
            } else if difference < 0 {
                return nil  // no producer has filled this slot yet: empty
            } else {
                position = dequeueIndex.pointee.load(ordering: .relaxed)
            }
        }
        let slot = position & mask
        let element = (values + slot).move()
        // Releasing: our move out happens before the next lap's producer writes the slot again.
        sequences[slot].store(position + capacity, ordering: .releasing)
        return element
    }

    /// About how many elements the queue holds; exact only when no thread is using it. For metrics.
    public var approximateCount: Int {
        let dequeued = dequeueIndex.pointee.load(ordering: .relaxed)
        let enqueued = enqueueIndex.pointee.load(ordering: .relaxed)
        return min(max(enqueued - dequeued, 0), capacity)
    }
}
