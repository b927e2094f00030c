import SluiceCore
import SluiceIngest
import Testing

/// Forgetting the ids of a failed write: they count as new again, and the capacity still holds.
@Suite struct DedupeWindowRemoveTests {
    @Test func aRemovedKeyIsNewAgain() {
        let now = Timestamp.now()
        var window = DedupeWindow(window: .seconds(60), capacity: 10, now: now)
        let first = window.insert(1, at: now)
        window.remove(1)
        let removed = window.contains(1)
        let again = window.insert(1, at: now)
        let twice = window.insert(1, at: now)
        #expect(first && !removed && again && !twice)
    }

    @Test func theCapacityEvictsPastTheSlotsOfRemovedKeys() {
        let now = Timestamp.now()
        var window = DedupeWindow(window: .seconds(60), capacity: 3, now: now)
        var inserted = [UInt64: Bool]()
        for key: UInt64 in [1, 2, 3] { inserted[key] = window.insert(key, at: now) }
        window.remove(2)
        inserted[4] = window.insert(4, at: now)
        inserted[5] = window.insert(5, at: now)  // evicts 1, the oldest remembered
        inserted[6] = window.insert(6, at: now)  // passes over 2's slot and evicts 3
        #expect(inserted.values.allSatisfy { $0 })
        #expect(window.count == 3)
        #expect([4, 5, 6].allSatisfy { window.contains($0) })
        #expect(![1, 2, 3].contains { window.contains($0) })
        #expect(window.evictedEarly == 2)
    }
}
