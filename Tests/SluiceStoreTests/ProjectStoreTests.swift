import SluicePostgres
import SluiceStore
import SluiceTestSupport
import Testing

@Suite struct ProjectStoreTests {
    @Test func createsAndListsProjects() throws {
        let connection = try TestDatabase.migrated("projects")
        let shop = try ProjectStore.create(name: "Shop", on: connection)
        let blog = try ProjectStore.create(name: "Blög 🦆", on: connection)
        #expect(shop.project.writeKey.hasPrefix("wk_") && shop.project.writeKey.count == 35)
        #expect(shop.readKey.hasPrefix("rk_") && shop.readKey.count == 43)
        #expect(shop.project.writeKey != blog.project.writeKey && shop.readKey != blog.readKey)
        let listed = try ProjectStore.list(on: connection)
        #expect(listed == [shop.project, blog.project])
        #expect(listed.map(\.name) == ["Shop", "Blög 🦆"])
    }

    @Test func theReadKeyIsStoredOnlyAsAHash() throws {
        let connection = try TestDatabase.migrated("readkey")
        let created = try ProjectStore.create(name: "Shop", on: connection)
        let row = try connection.query("SELECT row_to_json(p)::text FROM sluice.projects p")
        #expect(row.string(0, 0)?.contains(created.readKey) == false)
        #expect(try ProjectStore.project(readKey: created.readKey, on: connection) == created.project)
        #expect(try ProjectStore.project(readKey: created.readKey + "x", on: connection) == nil)
        #expect(try ProjectStore.project(readKey: created.project.writeKey, on: connection) == nil)
        #expect(try ProjectStore.project(writeKey: created.project.writeKey, on: connection) == created.project)
    }

    @Test func rejectsEmptyAndOverlongNames() throws {
        let connection = try TestDatabase.migrated("names")
        #expect(throws: StoreError.self) { try ProjectStore.create(name: "", on: connection) }
        #expect(throws: StoreError.self) {
            try ProjectStore.create(name: String(repeating: "x", count: 201), on: connection)
        }
        #expect(try ProjectStore.list(on: connection).isEmpty)
    }
}
