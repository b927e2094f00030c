import SluiceCore
import SluiceIngest
import Testing

@Suite struct DedupeWindowTests {
    @Test func remembersPerProjectAndMessageID() {
        let now = Timestamp.now()
        var window = DedupeWindow(window: .seconds(60), capacity: 100, now: now)
        let key = DedupeWindow.key(projectID: 1, messageID: "m-1")
        let isNew1 = window.insert(key, at: now)
        #expect(isNew1)
        let isNew2 = window.insert(key, at: now)
        #expect(!isNew2)
        let isNew3 = window.insert(DedupeWindow.key(projectID: 2, messageID: "m-1"), at: now)
        #expect(isNew3)
        let isNew4 = window.insert(DedupeWindow.key(projectID: 1, messageID: "m-2"), at: now)
        #expect(isNew4)
        #expect(DedupeWindow.key(projectID: 1, messageID: "m-1") == key)
        #expect(DedupeWindow.key(projectID: 1, messageID: "m-1"[...]) == key, "a Substring hashes as its String")
        #expect(window.count == 3)
    }

    @Test func forgetsAfterTheWindow() {
        let start = Timestamp.now()
        func after(_ seconds: Int64) -> Timestamp {
            Timestamp(unixMicroseconds: start.unixMicroseconds + seconds * 1_000_000)
        }
        var window = DedupeWindow(window: .seconds(10), capacity: 100, now: start)
        let key = DedupeWindow.key(projectID: 1, messageID: "late")
        let isNew5 = window.insert(key, at: start)
        #expect(isNew5)
        let isNew6 = window.insert(key, at: after(9))
        #expect(!isNew6)
        let isNew7 = window.insert(key, at: after(12))
        #expect(isNew7, "forgotten once older than the window")
        let isNew8 = window.insert(key, at: after(13))
        #expect(!isNew8)
    }

    @Test func theCapacityBoundForgetsTheOldestFirst() {
        let now = Timestamp.now()
        var window = DedupeWindow(window: .seconds(3600), capacity: 3, now: now)
        let keys = (0..<4).map { DedupeWindow.key(projectID: 7, messageID: "k\($0)") }
        for key in keys {
            let isNew = window.insert(key, at: now)
            #expect(isNew)
        }
        #expect(window.count == 3)
        #expect(window.evictedEarly == 1)
        #expect(!window.contains(keys[0]))
        #expect(window.contains(keys[1]) && window.contains(keys[2]) && window.contains(keys[3]))
        let isNew9 = window.insert(keys[0], at: now)
        #expect(isNew9, "the oldest was forgotten to make room")
    }
}
