import ArgumentParser

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure Sluice against the baseline on this machine.",
        discussion: """
            Examples:
              sluice bench ingest --events 1000000 --json
              sluice bench query --events 1000000
            """,
        subcommands: [
            BenchCopy.self, BenchIngest.self, BenchDedupe.self, BenchJobs.self, BenchQuery.self,
            BenchExperiments.self, BenchRetention.self, BenchFaults.self,
        ]
    )
}
