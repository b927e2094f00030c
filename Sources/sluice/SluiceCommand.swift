// The `sluice` command: one subcommand per file, each a thin layer over the library targets.

import ArgumentParser
import Foundation

@main
struct Sluice: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sluice",
        abstract: "A high-volume analytics event pipeline for PostgreSQL.",
        discussion: """
            Every command that touches the database takes --database-url or SLUICE_DATABASE_URL (a libpq \
            connection string or a postgres:// URL). Without either, sluice uses its embedded default: a \
            PostgreSQL cluster under ./.sluice/postgres that it creates, starts and stops itself.

            Exit codes: 0 success, 1 runtime failure, 64 bad usage.

            Examples:
              sluice demo
              sluice serve --port 8080
              sluice projects create "My site"
              sluice jobs run all
            """,
        version: SluiceVersion.current,
        subcommands: [
            Migrate.self, Projects.self, Serve.self, Spool.self, Jobs.self, Experiments.self, Archive.self, Forget.self,
            Bench.self, Demo.self,
        ]
    )
}

enum SluiceVersion {
    static let current = "0.1.0"
}

/// A subcommand whose failures print one line on stderr and exit 1 (usage errors stay 64).
protocol FailingCommand: ParsableCommand {
    func execute() throws
}

extension FailingCommand {
    func run() throws {
        do {
            try execute()
        } catch let exit as ExitCode {
            throw exit
        } catch let usage as ValidationError {
            throw usage
        } catch {
            Terminal.error(error)
            throw ExitCode.failure
        }
    }
}

/// Lines for the person at the terminal: results on stdout, progress and errors on stderr.
enum Terminal {
    static func note(_ line: String) {
        FileHandle.standardError.write(Data("sluice: \(line)\n".utf8))
    }

    static func error(_ error: any Error) {
        self.error(String(describing: error))
    }

    /// Prints `text` as one `sluice: error:` line, joining its lines.
    static func error(_ text: String) {
        let line = text.split(whereSeparator: \.isNewline).joined(separator: " ")
        FileHandle.standardError.write(Data("sluice: error: \(line)\n".utf8))
    }
}
