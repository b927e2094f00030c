// Benchmarks for `BoundedQueue`, the ring buffer between the HTTP event loops and the spool writer: transfers
// per second from 1 and from 2 producer threads to one consumer (the ingest shape), through a queue of the
// size the server uses.
//
// Each iteration moves 1,000,000 items (scaling factor `.mega`), so the throughput column reads as
// transfers per second in millions. Producers spin with `sched_yield` when the queue is full and the
// consumer when it is empty, as the real ends do before they fall back to waiting.

import Benchmark
import Foundation
import SluiceRing

/// Moves `total` items from `producers` threads to the calling thread through `queue`.
private func transfer(_ total: Int, producers: Int, through queue: BoundedQueue<Int>) -> Int {
    let done = DispatchGroup()
    let share = total / producers
    for producer in 0..<producers {
        done.enter()
        Thread {
            for item in 0..<share {
                while !queue.enqueue(producer &+ item) { sched_yield() }
            }
            done.leave()
        }.start()
    }
    var received = 0
    var checksum = 0
    while received < share * producers {
        if let item = queue.dequeue() {
            checksum &+= item
            received += 1
        } else {
            sched_yield()
        }
    }
    done.wait()
    return checksum
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput, .wallClock, .mallocCountTotal],
        warmupIterations: 2,
        scalingFactor: .mega,
        maxDuration: .seconds(5),
        maxIterations: 50
    )
    for producers in [1, 2] {
        let queue = BoundedQueue<Int>(capacity: 4096)
        Benchmark("BoundedQueue, \(producers) producer(s) to 1 consumer") { benchmark in
            blackHole(transfer(benchmark.scaledIterations.count, producers: producers, through: queue))
        }
    }
}
