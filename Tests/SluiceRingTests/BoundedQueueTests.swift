import Foundation
import SluiceHangGuard
import SluiceRing
import Synchronization
import Testing

@Suite struct BoundedQueueTests {
    @Test func isFirstInFirstOutAndBounded() {
        let queue = BoundedQueue<Int>(capacity: 5)
        #expect(queue.capacity == 8)
        #expect(queue.dequeue() == nil)
        for value in 0..<8 { #expect(queue.enqueue(value)) }
        #expect(!queue.enqueue(8))
        #expect(queue.approximateCount == 8)
        for value in 0..<8 { #expect(queue.dequeue() == value) }
        #expect(queue.dequeue() == nil)
    }

    @Test func wrapsAroundManyLaps() {
        let queue = BoundedQueue<Int>(capacity: 4)
        var next = 0
        var expected = 0
        for _ in 0..<10_000 {
            while queue.enqueue(next) { next += 1 }
            for _ in 0..<3 {
                #expect(queue.dequeue() == expected)
                expected += 1
            }
        }
        while let value = queue.dequeue() {
            #expect(value == expected)
            expected += 1
        }
        #expect(expected == next)
    }

    /// Counts live instances, to show that every element is released exactly once.
    final class Tracked: Sendable {
        static let live = Atomic<Int>(0)
        let value: Int
        init(_ value: Int) {
            self.value = value
            Self.live.add(1, ordering: .relaxed)
        }
        deinit { Self.live.subtract(1, ordering: .relaxed) }
    }

    @Test func releasesEveryElementOnceIncludingThoseLeftInside() {
        do {
            let queue = BoundedQueue<Tracked>(capacity: 16)
            for value in 0..<16 { #expect(queue.enqueue(Tracked(value))) }
            for value in 0..<10 { #expect(queue.dequeue()?.value == value) }
            #expect(Tracked.live.load(ordering: .relaxed) == 6)
        }
        #expect(Tracked.live.load(ordering: .relaxed) == 0)
    }

    /// Runs `body` on `count` new threads at once and waits for them all.
    private func onThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
        let done = DispatchGroup()
        for index in 0..<count {
            done.enter()
            let thread = Thread {
                body(index)
                done.leave()
            }
            thread.start()
        }
        done.wait()
    }

    @Test(arguments: [1, 2, 4])
    func manyProducersOneConsumerLoseNothingAndKeepOrder(producers: Int) {
        let perProducer = 2_000_000 / producers
        let queue = BoundedQueue<Int>(capacity: 1024)
        let total = producers * perProducer
        let received = Mutex<(count: Int, sum: Int, outOfOrder: Int)>((0, 0, 0))
        onThreads(producers + 1) { index in
            if index < producers {
                for sequence in 0..<perProducer {
                    let item = index << 40 | sequence
                    while !queue.enqueue(item) { sched_yield() }
                }
            } else {
                var last = [Int](repeating: -1, count: producers)
                var count = 0
                var sum = 0
                var outOfOrder = 0
                var progress = HangGuard.Progress()
                // A lost item would leave the count short forever: give up once no item came for the hang guard.
                while count < total, !progress.hung {
                    guard let item = queue.dequeue() else {
                        sched_yield()
                        continue
                    }
                    progress.progressed()
                    let producer = item >> 40
                    let sequence = item & (1 << 40 - 1)
                    if sequence != last[producer] + 1 { outOfOrder += 1 }
                    last[producer] = sequence
                    count += 1
                    sum &+= item
                }
                received.withLock { $0 = (count, sum, outOfOrder) }
            }
        }
        let expectedSum = (0..<producers).reduce(0) { sum, producer in
            sum &+ producer << 40 * perProducer &+ perProducer * (perProducer - 1) / 2
        }
        let result = received.withLock { $0 }
        #expect(result.count == total, "hung: the consumer got \(result.count) of \(total) items")
        #expect(result.outOfOrder == 0)
        #expect(result.sum == expectedSum)
        #expect(queue.dequeue() == nil)
    }

    @Test func manyProducersManyConsumersDeliverEachItemExactlyOnce() {
        let producers = 2
        let consumers = 2
        let perProducer = 500_000
        let total = producers * perProducer
        let queue = BoundedQueue<Int>(capacity: 256)
        let taken = Atomic<Int>(0)
        let seen = Mutex<[UInt8]>([UInt8](repeating: 0, count: total))
        onThreads(producers + consumers) { index in
            if index < producers {
                for sequence in 0..<perProducer {
                    while !queue.enqueue(index * perProducer + sequence) { sched_yield() }
                }
            } else {
                var mine: [Int] = []
                var progress = HangGuard.Progress()
                while taken.load(ordering: .relaxed) < total, !progress.hung {
                    if let item = queue.dequeue() {
                        mine.append(item)
                        taken.add(1, ordering: .relaxed)
                        progress.progressed()
                    } else {
                        sched_yield()
                    }
                }
                seen.withLock { seen in
                    for item in mine { seen[item] &+= 1 }
                }
            }
        }
        let counts = seen.withLock { $0 }
        #expect(counts.allSatisfy { $0 == 1 })
        #expect(taken.load(ordering: .relaxed) == total, "hung: \(taken.load(ordering: .relaxed)) of \(total) taken")
    }
}
