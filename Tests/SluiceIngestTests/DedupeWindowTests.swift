import SluiceIngest
import Testing

@Suite struct DedupeWindowTests {
    @Test func remembersPerProjectAndMessageID() {
        var window = DedupeWindow(window: .seconds(60), capacity: 100)
        let key = DedupeWindow.key(projectID: 1, messageID: "m-1")
        let isNew1 = window.insert(key)
        #expect(isNew1)
        let isNew2 = window.insert(key)
        #expect(!isNew2)
        let isNew3 = window.insert(DedupeWindow.key(projectID: 2, messageID: "m-1"))
        #expect(isNew3)
        let isNew4 = window.insert(DedupeWindow.key(projectID: 1, messageID: "m-2"))
        #expect(isNew4)
        #expect(DedupeWindow.key(projectID: 1, messageID: "m-1") == key)
        #expect(DedupeWindow.key(projectID: 1, messageID: "m-1"[...]) == key, "a Substring hashes as its String")
        #expect(window.count == 3)
    }

    @Test func forgetsAfterTheWindow() {
        let start = ContinuousClock.now
        var window = DedupeWindow(window: .seconds(10), capacity: 100)
        let key = DedupeWindow.key(projectID: 1, messageID: "late")
        let isNew5 = window.insert(key, now: start)
        #expect(isNew5)
        let isNew6 = window.insert(key, now: start + .seconds(9))
        #expect(!isNew6)
        let isNew7 = window.insert(key, now: start + .seconds(12))
        #expect(isNew7, "forgotten once older than the window")
        let isNew8 = window.insert(key, now: start + .seconds(13))
        #expect(!isNew8)
    }

    @Test func theCapacityBoundForgetsTheOldestFirst() {
        var window = DedupeWindow(window: .seconds(3600), capacity: 3)
        let keys = (0..<4).map { DedupeWindow.key(projectID: 7, messageID: "k\($0)") }
        for key in keys {
            let isNew = window.insert(key)
            #expect(isNew)
        }
        #expect(window.count == 3)
        #expect(window.evictedEarly == 1)
        #expect(!window.contains(keys[0]))
        #expect(window.contains(keys[1]) && window.contains(keys[2]) && window.contains(keys[3]))
        let isNew9 = window.insert(keys[0])
        #expect(isNew9, "the oldest was forgotten to make room")
    }
}
