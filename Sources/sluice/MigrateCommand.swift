import ArgumentParser
import SluiceStore

struct Migrate: FailingCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply the schema migrations in order; a no-op when the schema is current.",
        discussion: """
            Examples:
              sluice migrate
              sluice migrate --database-url postgres://sluice@db.internal/analytics
            """
    )

    @OptionGroup var database: DatabaseOptions

    func execute() throws {
        try database.withConnection(requireSchema: false) { connection in
            let report = try Migrator.bundled().migrate(connection) { name in Terminal.note("applying \(name)") }
            if report.applied.isEmpty {
                print("schema is current (version \(report.version))")
            } else {
                print("applied \(report.applied.count) migration(s); schema is at version \(report.version)")
            }
        }
    }
}
