import Foundation
import SluiceCore
import SluiceSchedulerCore
import Testing

@Suite struct JobRunReportTests {
    let started = Timestamp(unixMicroseconds: 1_795_426_200_123_456)  // 2026-11-23T09:30:00.123456Z

    @Test func aJSONLineHasEveryFieldInOrderWithNulls() throws {
        let run = JobRun(
            job: "partitions", node: "default@web-1:42", status: .running, startedAt: started, finishedAt: nil,
            rowsTouched: 0, summary: nil, error: nil
        )
        #expect(
            run.jsonLine
                == #"{"job":"partitions","node":"default@web-1:42","status":"running","startedAt":"2026-11-23T09:30:00.123Z","finishedAt":null,"rowsTouched":0,"summary":null,"error":null}"#
        )
    }

    @Test func aJSONLineEscapesAndParses() throws {
        let run = JobRun(
            job: "partitions", node: "n", status: .failed, startedAt: started, finishedAt: started + .seconds(2),
            rowsTouched: 12, summary: "quote \" and\nline", error: "lock timeout (SQLSTATE 55P03)"
        )
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.jsonLine.utf8)) as? [String: Any])
        #expect(object["status"] as? String == "failed")
        #expect(object["finishedAt"] as? String == "2026-11-23T09:30:02.123Z")
        #expect(object["rowsTouched"] as? Int == 12)
        #expect(object["summary"] as? String == "quote \" and\nline")
        #expect(object["error"] as? String == "lock timeout (SQLSTATE 55P03)")
        #expect(!run.jsonLine.contains("\n"))
    }

    @Test func aTableRowShowsTheErrorElseTheSummary() {
        var run = JobRun(
            job: "partitions", node: "n", status: .succeeded, startedAt: started, finishedAt: started + .seconds(1),
            rowsTouched: 3, summary: "created 1", error: nil
        )
        #expect(
            run.tableRow == [
                "partitions", "n", "2026-11-23T09:30:00Z", "2026-11-23T09:30:01Z", "succeeded", "3", "created 1",
            ])
        run.status = .failed
        run.error = "boom"
        run.finishedAt = nil
        #expect(run.tableRow[3] == "-")
        #expect(run.tableRow[6] == "boom")
        #expect(JobRun.tableHeader.count == run.tableRow.count)
    }
}
