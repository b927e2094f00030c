import SluiceCore
import Testing

@testable import SluiceIngest

/// The window with explicit receive times: rebuilt entries expire when their events leave the window, not all
/// at once a window after a restart, and ids learned later are merged into time order.
@Suite struct DedupeWindowTimeTests {
    let start = Timestamp.now()

    private func at(_ seconds: Int64) -> Timestamp {
        Timestamp(unixMicroseconds: start.unixMicroseconds + seconds * 1_000_000)
    }

    private func key(_ name: String) -> UInt64 { DedupeWindow.key(projectID: 1, messageID: name) }

    /// Inserts `key` and expects it to be new.
    private func expectNew(
        _ window: inout DedupeWindow, _ key: UInt64, at time: Timestamp, _ comment: Comment? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let isNew = window.insert(key, at: time)
        #expect(isNew, comment, sourceLocation: sourceLocation)
    }

    @Test func rebuiltEntriesExpireAtTheirOwnTime() {
        // Rebuilt at second 90 from events received at seconds 0, 10, …, 90, with a 100-second window.
        var window = DedupeWindow(window: .seconds(100), capacity: 100, now: at(90))
        for second in stride(from: Int64(0), through: 90, by: 10) {
            expectNew(&window, key("e\(second)"), at: at(second))
        }
        #expect(window.spanSeconds == 90)
        // At second 135 the events of seconds 0…30 are more than 100 seconds old; the rest are not.
        expectNew(&window, key("live"), at: at(135))
        for second in stride(from: Int64(0), through: 30, by: 10) {
            #expect(!window.contains(key("e\(second)")), "e\(second) expired at its own time")
        }
        for second in stride(from: Int64(40), through: 90, by: 10) {
            #expect(window.contains(key("e\(second)")))
        }
        #expect(window.spanSeconds == 95)
        #expect(window.count == 7)
    }

    @Test func anEarlierTimeThanTheNewestEntryCountsAsTheNewest() {
        var window = DedupeWindow(window: .seconds(100), capacity: 100, now: at(0))
        expectNew(&window, key("a"), at: at(50))
        expectNew(&window, key("b"), at: at(10), "a clock that stepped back")
        // b was received "at 10" but is remembered from 50, like a: it is never forgotten early.
        expectNew(&window, key("c"), at: at(140))
        #expect(window.contains(key("a")) && window.contains(key("b")))
        expectNew(&window, key("d"), at: at(151))
        #expect(!window.contains(key("a")) && !window.contains(key("b")))
    }

    @Test func mergedIdsTakeTheirPlaceInTimeOrder() {
        var window = DedupeWindow(window: .seconds(100), capacity: 100, now: at(50))
        for (name, second) in [("s10", Int64(10)), ("s30", 30), ("s50", 50)] {
            expectNew(&window, key(name), at: at(second))
        }
        // Learned later, in two chunks: ids received at 5, 20, 40 and one the window already holds.
        let present1 = window.mergeOlder([(key("d5"), at(5)), (key("d20"), at(20))])
        let present2 = window.mergeOlder([(key("s30"), at(30)), (key("d40"), at(40))])
        #expect(present1.isEmpty)
        #expect(present2 == [key("s30")])
        #expect(window.count == 6)
        #expect(window.spanSeconds == 45)
        // Each expires in turn as time passes: 5, 10, 20, 30, 40, 50.
        let order = ["d5", "s10", "d20", "s30", "d40", "s50"]
        let seconds: [Int64] = [5, 10, 20, 30, 40, 50]
        for (index, second) in seconds.enumerated() {
            _ = window.insert(key("tick\(second)"), at: at(second + 101))
            for (other, name) in order.enumerated() {
                #expect(window.contains(key(name)) == (other > index), "\(name) after second \(second + 101)")
            }
        }
        // New ids go on after the merged ones.
        expectNew(&window, key("late"), at: at(160))
        #expect(window.contains(key("late")))
    }

    @Test func mergingSkipsExpiredIdsAndRespectsTheCapacity() {
        var window = DedupeWindow(window: .seconds(100), capacity: 3, now: at(200))
        expectNew(&window, key("s150"), at: at(150))
        expectNew(&window, key("s200"), at: at(200))
        // 50 is more than 100 seconds before 200: skipped. 120 fits; 140 makes four, so the oldest goes.
        _ = window.mergeOlder([(key("d50"), at(50)), (key("d120"), at(120)), (key("d140"), at(140))])
        #expect(!window.contains(key("d50")))
        #expect(!window.contains(key("d120")), "the oldest, evicted for room")
        #expect(window.contains(key("d140")) && window.contains(key("s150")) && window.contains(key("s200")))
        #expect(window.count == 3)
        #expect(window.evictedEarly == 1)
        #expect(window.spanSeconds == 60)
    }

    @Test func aMergeStreamThatStartsAgainStaysOrdered() {
        var window = DedupeWindow(window: .seconds(100), capacity: 100, now: at(50))
        expectNew(&window, key("s50"), at: at(50))
        _ = window.mergeOlder([(key("d10"), at(10)), (key("d30"), at(30))])
        // A retried read sends older ids again: the known ones are reported, a new older one is remembered
        // from the last merged second (30), never less.
        let present = window.mergeOlder([(key("d10"), at(10)), (key("d20"), at(20))])
        #expect(present == [key("d10")])
        _ = window.insert(key("tick"), at: at(125))
        #expect(!window.contains(key("d10")))
        #expect(window.contains(key("d20")), "kept until 30 + 100")
        _ = window.insert(key("tick2"), at: at(131))
        #expect(!window.contains(key("d20")) && !window.contains(key("d30")))
        #expect(window.contains(key("s50")))
    }

    @Test func anEmptyWindowSpansNothing() {
        let window = DedupeWindow(window: .seconds(100), capacity: 10, now: at(0))
        #expect(window.spanSeconds == 0)
        #expect(window.count == 0)
    }
}
