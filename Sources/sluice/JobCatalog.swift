import ArgumentParser
import SluiceExperimentsStore
import SluiceRetentionJob
import SluiceRollupsJob
import SluiceScheduler
import SluiceSessionsJob

/// Every job this sluice has, in the order `sluice jobs run all` runs them. Adding a job to Sluice is adding
/// its `CatalogJob` type to `jobs`: `sluice jobs run`, `sluice jobs status`, the scheduler in `sluice serve`,
/// `--job-interval` and the help texts all follow from this list.
enum JobCatalog {
    static let jobs: [any CatalogJob.Type] = [
        PartitionsJob.self,
        SessionsJob.self,
        RollupsJob.self,
        AssignmentsJob.self,
        RetentionJob.self,
    ]

    static var names: [String] { jobs.map { $0.jobName } }

    /// Each job's paragraph, for help texts.
    static var help: String { jobs.map { $0.about }.joined(separator: "\n\n") }

    /// Builds the named jobs from their environment variables, in catalog order.
    /// - Throws: `ValidationError` (exit 64) naming a variable with a value the job cannot use.
    static func make(_ names: [String], environment: [String: String]) throws -> [any Job] {
        try jobs.filter { names.contains($0.jobName) }.map { type in
            do {
                return try type.init(environment: environment)
            } catch {
                throw ValidationError("\(type.jobName): \(error)")
            }
        }
    }
}
