import ArgumentParser
import SluiceCore
import SluiceStore

struct Projects: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create and list projects (one per website or app).",
        discussion: """
            Examples:
              sluice projects create "My site"
              sluice projects list
            """,
        subcommands: [Create.self, List.self]
    )

    struct Create: FailingCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a project and print its write key (public) and read key (secret, shown only once).",
            discussion: """
                Example:
                  sluice projects create "My site" --json
                """
        )

        @Argument(help: "The project's name.") var name: String
        @Flag(help: "Print one JSON line: {\"id\":…,\"name\":…,\"writeKey\":…,\"readKey\":…}.") var json = false
        @OptionGroup var database: DatabaseOptions

        func execute() throws {
            let created = try database.withConnection { try ProjectStore.create(name: name, on: $0) }
            if json {
                var line = "{\"id\":\(created.project.id),\"name\":"
                JSONString.append(created.project.name, to: &line)
                line += ",\"writeKey\":\(JSONString.quoted(created.project.writeKey))"
                line += ",\"readKey\":\(JSONString.quoted(created.readKey))}"
                print(line)
            } else {
                print("created project \(created.project.id) \(JSONString.quoted(created.project.name))")
                print("  write key: \(created.project.writeKey)  (public: give it to your SDKs and web pages)")
                print("  read key:  \(created.readKey)  (secret: opens the stats API; shown only now)")
            }
        }
    }

    struct List: FailingCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the projects, oldest first.",
            discussion: """
                Example:
                  sluice projects list --json
                """
        )

        @Flag(help: "Print one JSON object per line.") var json = false
        @OptionGroup var database: DatabaseOptions

        func execute() throws {
            let projects = try database.withConnection { try ProjectStore.list(on: $0) }
            if json {
                for project in projects {
                    print(
                        "{\"id\":\(project.id),\"name\":\(JSONString.quoted(project.name)),"
                            + "\"writeKey\":\(JSONString.quoted(project.writeKey)),"
                            + "\"createdAt\":\(JSONString.quoted(project.createdAt))}"
                    )
                }
                return
            }
            guard !projects.isEmpty else {
                print("no projects yet; create one with: sluice projects create NAME")
                return
            }
            let rows = [["ID", "NAME", "WRITE KEY", "CREATED"]]
                + projects.map { [String($0.id), $0.name, $0.writeKey, $0.createdAt] }
            TextTable.lines(rows).forEach { print($0) }
        }
    }
}
