import ArgumentParser

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure Sluice against the baseline on this machine.",
        subcommands: [
            BenchCopy.self, BenchIngest.self, BenchDedupe.self, BenchJobs.self, BenchQuery.self,
            BenchExperiments.self, BenchRetention.self, BenchFaults.self,
        ]
    )
}
