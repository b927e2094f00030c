import ArgumentParser
import Foundation
import SluiceCore
import SluiceExperiments
import SluiceExperimentsStore

struct Experiments: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create, list and stop A/B experiments, and read their results.",
        discussion: """
            An experiment file holds GrowthBook's experiment fields: {"key":"checkout-v2",\
            "variations":["control","treatment"],"weights":[0.5,0.5],"coverage":1,"hashAttribute":"id",\
            "hashVersion":2,"seed":"checkout-v2","namespace":["ns",0,0.5],"goalEvent":"Order Completed",\
            "status":"running","targeting":{"country":["US"]}}; all but key and variations are optional. \
            docs/experiments.md has every field and rule.

            Examples:
              sluice experiments create --project 1 --file checkout-v2.json
              sluice experiments results checkout-v2 --project 1
            """,
        subcommands: [Create.self, List.self, Stop.self, Results.self]
    )

    /// `--project ID`, shared by every subcommand.
    struct ProjectOption: ParsableArguments {
        @Option(help: ArgumentHelp("The project's id (sluice projects list shows them).", valueName: "id"))
        var project: Int64

        func validate() throws {
            guard project > 0 else { throw ValidationError("--project must be a project id (1 or more)") }
        }
    }

    struct Create: FailingCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an experiment from a file, or update the stored one of the same key.",
            discussion: """
                A change of the variations, the weights, the seed, the hash attribute or the hash version \
                moves users between variations: it starts the experiment's next version (assignments and \
                results are per version), and for a running experiment it is refused unless --force. Other \
                changes (coverage, namespace, targeting, status, goal event, name) keep the version. A file \
                that cannot be an experiment is refused with one line naming the field, and nothing is stored \
                (exit 64).

                Examples:
                  sluice experiments create --project 1 --file checkout-v2.json
                  sluice experiments create --project 1 --file checkout-v2.json --force
                """
        )

        @OptionGroup var project: ProjectOption
        @Option(help: ArgumentHelp("The experiment file (JSON).", valueName: "file")) var file: String
        @Flag(help: "Allow a change that re-randomises the users of a running experiment (starts a new version).")
        var force = false
        @OptionGroup var database: DatabaseOptions

        func execute() throws {
            let text: String
            do {
                text = try String(contentsOfFile: file, encoding: .utf8)
            } catch {
                throw refuse("cannot read \(file): \(error.localizedDescription)")
            }
            let definition: ExperimentDefinition
            do {
                definition = try ExperimentDefinition(jsonText: text)
            } catch {
                throw refuse("\(file): \(error.description); nothing was stored")
            }
            let saved = try usage {
                try database.withConnection {
                    try ExperimentStore.save(definition, projectID: project.project, force: force, on: $0)
                }
            }
            let experiment = saved.experiment
            let name = JSONString.quoted(experiment.key)
            switch saved.update.kind {
            case .create:
                print("created experiment \(name) (version 1, \(experiment.definition.status.rawValue))")
            case .unchanged:
                print("experiment \(name) is unchanged (version \(experiment.version))")
            case .update:
                print("updated experiment \(name) (version \(experiment.version), \(experiment.definition.status.rawValue))")
            case .newVersion:
                print(
                    "updated experiment \(name): \(saved.update.changedReassigningFields.joined(separator: ", ")) "
                        + "changed, so it starts version \(experiment.version); results count from now on"
                )
            }
        }
    }

    struct List: FailingCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the project's experiments.",
            discussion: """
                Example:
                  sluice experiments list --project 1 --json
                """
        )

        @OptionGroup var project: ProjectOption
        @Flag(help: "Print each experiment as its file (one JSON line), with \"version\" and \"startedAt\".")
        var json = false
        @OptionGroup var database: DatabaseOptions

        func execute() throws {
            let experiments = try usage {
                try database.withConnection { try ExperimentStore.list(projectID: project.project, on: $0) }
            }
            if json {
                for experiment in experiments {
                    guard case .object(var members) = experiment.definition.json else { continue }
                    members.append(JSONMember("version", .number(JSONNumber(Double(experiment.version))!)))
                    members.append(JSONMember("startedAt", experiment.versionStartedAt.map(JSONValue.string) ?? .null))
                    print(JSONValue.object(members).jsonText)
                }
                return
            }
            guard !experiments.isEmpty else {
                print("no experiments yet; create one with: sluice experiments create --project \(project.project) --file X.json")
                return
            }
            var rows = [["KEY", "STATUS", "VERSION", "VARIATIONS", "WEIGHTS", "COVERAGE", "GOAL", "STARTED"]]
            for experiment in experiments {
                let definition = experiment.definition
                rows.append([
                    experiment.key, definition.status.rawValue, String(experiment.version),
                    definition.variationTexts.joined(separator: " "),
                    definition.weights.map(JSONNumber.text).joined(separator: "/"), JSONNumber.text(definition.coverage),
                    definition.goalEvent ?? "-", experiment.versionStartedAt ?? "-",
                ])
            }
            TextTable.lines(rows).forEach { print($0) }
        }
    }

    struct Stop: FailingCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop an experiment: it takes nobody from now on, and its results stop counting.",
            discussion: """
                Example:
                  sluice experiments stop checkout-v2 --project 1
                """
        )

        @Argument(help: ArgumentHelp("The experiment's key.", valueName: "key")) var key: String
        @OptionGroup var project: ProjectOption
        @OptionGroup var database: DatabaseOptions

        func execute() throws {
            let stopped = try usage {
                try database.withConnection { try ExperimentStore.stop(projectID: project.project, key: key, on: $0) }
            }
            print(stopped ? "stopped experiment \(JSONString.quoted(key))" : "experiment \(JSONString.quoted(key)) was already stopped")
        }
    }

    struct Results: FailingCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show an experiment's results: exposed users and converters per variation, uplift, SRM.",
            discussion: """
                The results count the people assigned to a variation and exposed to it ("Experiment Viewed"), \
                as GrowthBook analyses exposed users; converters did the goal event at or after their first \
                exposure. The numbers are gbstats' (frequentist): relative uplift against the first variation \
                with its 95% interval and a two-sided p-value, and the sample-ratio check, shown first when it \
                fails. --json prints what GET /v1/experiments/KEY/results answers.

                Example:
                  sluice experiments results checkout-v2 --project 1 --json
                """
        )

        @Argument(help: ArgumentHelp("The experiment's key.", valueName: "key")) var key: String
        @OptionGroup var project: ProjectOption
        @Flag(help: "Print the results as one JSON line.") var json = false
        @OptionGroup var database: DatabaseOptions

        func execute() throws {
            let report = try usage {
                try database.withConnection { try ExperimentStore.report(projectID: project.project, key: key, on: $0) }
            }
            if json {
                print(report.jsonText)
            } else {
                report.terminalLines.forEach { print($0) }
            }
        }
    }
}

/// Runs `body`, turning an ``ExperimentStoreError`` that is the caller's mistake into bad usage: one line on
/// stderr, exit 64.
private func usage<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as ExperimentStoreError where error.isUsageError {
        throw refuse(error.message)
    }
}

/// Prints `message` as the one `sluice: error:` line and returns the exit code of bad usage (64) to throw.
private func refuse(_ message: String) -> ExitCode {
    Terminal.error(message)
    return ExitCode(64)
}
