import ArgumentParser

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure Sluice against the baseline on this machine.",
        subcommands: [BenchCopy.self, BenchIngest.self, BenchJobs.self, BenchQuery.self]
    )
}
