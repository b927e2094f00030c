import ArgumentParser
import Foundation
import SluiceRetentionJob

struct Forget: FailingCommand {
    static let configuration = CommandConfiguration(
        abstract: "Erase one person everywhere: by userId or anonymousId, through every id linked to it.",
        discussion: """
            The ids erased are the one given and every id linked to it by identify (userId and anonymousId) \
            or alias (userId and previousId), in both directions and transitively. In one transaction: every \
            event of the project whose userId, anonymousId or previousId is one of them is deleted, in every \
            partition; so are their visits (analytics.sessions, whose person is one of the ids), their \
            experiment assignments, exposures and targeting traits (experiments.*); every rollup bucket \
            (project and UTC hour) those events and visits were counted in is marked; and each id is recorded \
            in sluice.erasures as a salted hash with the rows removed (no personal data), so sluice archive \
            restore deletes them again from a restored day. Then the marked buckets are recomputed, so the \
            dashboards are right when the command returns; nobody else's visits are touched. Prints each id \
            erased with its events, then the totals.

            Days already past SLUICE_RETENTION_DAYS are in the archive only: their events are deleted when \
            such a day is restored, and its rollups recomputed then.

            The same over HTTP, with the project's read key:
              curl -X POST https://HOST/v1/privacy/forget -H 'Authorization: Bearer rk_…' \\
                   -H 'Content-Type: application/json' -d '{"userId":"user-42"}'

            Example:
              $ sluice forget --project 1 --user user-42
              user-42\t12 event(s)
              anon-7f3a\t3 event(s)
              erased 2 id(s) of project 1: 15 event(s), 4 visit(s), 1 assignment(s), 0 other experiment row(s); \
            7 rollup bucket(s) recomputed; recorded in sluice.erasures
            """
    )

    @Option(help: "The project id.") var project: Int64
    @Option(help: "The userId or anonymousId.") var user: String
    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        guard project > 0 else { throw ValidationError("--project must be a project id (a positive number)") }
        guard !user.isEmpty else { throw ValidationError("--user must not be empty") }
    }

    func execute() throws {
        let report = try database.withConnection { connection in
            try PersonEraser().erase(user, project: project, on: connection)
        }
        for (id, rows) in zip(report.ids, report.eventsPerID) {
            print("\(id)\t\(rows) event(s)")
        }
        print(
            "erased \(report.ids.count) id(s) of project \(project): \(report.events) event(s), "
                + "\(report.sessions) visit(s), \(report.assignments) assignment(s), \(report.otherRows) other "
                + "experiment row(s); \(report.bucketsRecomputed) rollup bucket(s) recomputed; recorded in sluice.erasures"
        )
        if let pending = report.rollupsPending { throw pending }
    }
}
