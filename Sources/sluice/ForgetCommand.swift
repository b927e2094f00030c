import ArgumentParser
import Foundation
import SluiceRetentionJob

struct Forget: FailingCommand {
    static let configuration = CommandConfiguration(
        abstract: "Erase one person's events: by userId or anonymousId, through every id linked to it.",
        discussion: """
            The ids erased are the one given and every id linked to it by identify (userId and anonymousId) \
            or alias (userId and previousId), in both directions and transitively. Every event of the \
            project whose userId, anonymousId or previousId is one of them is deleted, in every partition, \
            in one transaction; each id is recorded in sluice.erasures as a salted hash with the rows \
            removed (no personal data), so sluice archive restore deletes them again from a restored day. \
            Prints each id erased and its rows.

            Example:
              sluice forget --project 1 --user user-1
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
        let total = report.eventsPerID.reduce(0, +)
        print("erased \(report.ids.count) id(s), \(total) event(s) of project \(project); recorded in sluice.erasures")
    }
}
