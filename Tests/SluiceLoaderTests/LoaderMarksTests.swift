import SluiceCore
import SluiceLoader
import SluicePostgres
import SluiceSpool
import SluiceStore
import Testing

/// The loader marks the (project, hour) of the rows it committed, in their transaction.
@Suite struct LoaderMarksTests {
    /// The marks as `project hour` lines, and how many rows the table holds.
    func marks(_ fixture: LoaderFixture) throws -> (set: Set<String>, rows: Int) {
        let marks = try MarkTable.events.oldest(10_000, on: fixture.database)
        return (Set(marks.map { "\($0.projectID) \($0.hour)" }), marks.count)
    }

    func row(_ id: Int, project: Int64, at time: Timestamp) -> EventRow {
        var row = Payload.rows(id, 1, projectID: project)[0]
        row.timestamp = time
        return row
    }

    @Test func everyCommittedBatchMarksTheDistinctHoursOfItsRows() throws {
        let fixture = try LoaderFixture("marks")
        let day = CalendarDay.today().adding(days: -1)
        let hour = 3_600_000_000 as Int64
        func at(_ hours: Int64, _ minutes: Int64) -> Timestamp {
            Timestamp(unixMicroseconds: day.start.unixMicroseconds + hours * hour + minutes * 60_000_000)
        }
        let writer = try fixture.writer()
        // Two records of one batch: hours 10 and 11 of project 1, hour 10 of project 2, out of order.
        _ = try writer.append(
            Payload.bytes([
                row(1, project: 1, at: at(10, 5)), row(2, project: 1, at: at(10, 55)),
                row(3, project: 2, at: at(10, 30)), row(4, project: 1, at: at(11, 0)),
            ]))
        _ = try writer.append(Payload.bytes([row(5, project: 1, at: at(10, 59)), row(6, project: 2, at: at(10, 1))]))
        try writer.sync()
        let loader = fixture.loader()
        #expect(try loader.loadAvailable().rows == 6)
        let first = try marks(fixture)
        let ten = UTCHour(at(10, 0)), eleven = UTCHour(at(11, 0))
        #expect(first.set == ["1 \(ten)", "2 \(ten)", "1 \(eleven)"])
        #expect(first.rows == 3)

        // The next batch marks its own hours again (append-only; the jobs take repeats in their stride).
        _ = try writer.append(Payload.bytes([row(7, project: 1, at: at(11, 30))]))
        try writer.sync()
        #expect(try loader.loadAvailable().rows == 1)
        #expect(try marks(fixture).rows == 4)
    }

    @Test func theMarksOfABatchAreBoundedByTheLeastReceivedAtOfItsRows() throws {
        let fixture = try LoaderFixture("markbound")
        let day = CalendarDay.today().adding(days: -2)
        func at(_ minutes: Int64) -> Timestamp {
            Timestamp(unixMicroseconds: day.start.unixMicroseconds + minutes * 60_000_000)
        }
        // Three records of one batch, received out of order; the earliest receipt is in the second.
        var rows = [row(1, project: 1, at: at(60)), row(2, project: 1, at: at(130)), row(3, project: 2, at: at(70))]
        rows[0].receivedAt = at(3_000)
        rows[1].receivedAt = at(2_000)
        rows[2].receivedAt = at(2_500)
        let writer = try fixture.writer()
        _ = try writer.append(Payload.bytes([rows[0]]))
        _ = try writer.append(Payload.bytes([rows[1], rows[2]]))
        try writer.sync()
        #expect(try fixture.loader().loadAvailable().rows == 3)
        let marks = try MarkTable.events.oldest(10, on: fixture.database)
        #expect(marks.count == 3)
        #expect(marks.allSatisfy { $0.receivedFrom == at(2_000) }, "\(marks)")
    }

    @Test func aBatchSplitAroundRefusedRowsMarksOnlyTheHoursOfRowsThatLoaded() throws {
        let fixture = try LoaderFixture("splitmarks")
        let day = CalendarDay.today().adding(days: -1)
        func at(_ hours: Int64) -> Timestamp {
            Timestamp(unixMicroseconds: day.start.unixMicroseconds + hours * 3_600_000_000)
        }
        // Hour 3 has only a refused row; hour 4 has a refused row and a good one; hour 5 only good rows.
        let refusedAlone = try Payload.tuple(
            row(1, project: 1, at: at(3)), replacingField: 2, with: Array("bogus".utf8))
        let refusedBeside = try Payload.tuple(
            row(2, project: 1, at: at(4)), replacingField: 2, with: Array("bogus".utf8))
        var payload = Payload.bytes([row(3, project: 1, at: at(5)), row(4, project: 1, at: at(4))])
        payload += refusedAlone
        payload += refusedBeside
        payload += Payload.bytes([row(5, project: 1, at: at(5))])
        let writer = try fixture.writer()
        _ = try writer.append(payload)
        try writer.sync()
        let report = try fixture.loader().loadAvailable()
        #expect(report.rows == 3 && report.deadLetters == 2)
        let marked = try marks(fixture)
        #expect(marked.set == ["1 \(UTCHour(at(4)))", "1 \(UTCHour(at(5)))"])
    }

    @Test func aBatchThatRollsBackMarksNothing() throws {
        let fixture = try LoaderFixture("nomarks")
        let writer = try fixture.writer()
        _ = try writer.append(Payload.bytes(Payload.rows(0, 20)))
        try writer.sync()
        let stale = fixture.loader()
        #expect(try stale.loadAvailable().rows == 20)
        _ = try writer.append(Payload.bytes(Payload.rows(20, 20)))
        try writer.sync()
        #expect(try fixture.loader().loadAvailable().rows == 20)
        let before = try MarkTable.events.count(on: fixture.database)
        #expect(before == 2)

        // The stale loader copies the second record again, marks its hour, then finds the checkpoint moved:
        // its transaction rolls back, marks and all.
        #expect(throws: LoaderError.self) { try stale.loadAvailable() }
        #expect(try MarkTable.events.count(on: fixture.database) == before)
        #expect(try fixture.count() == 40)
    }
}
