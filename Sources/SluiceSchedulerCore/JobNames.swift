/// The rules for job names and the names that select jobs.
///
/// A job's name is what `sluice jobs run NAME`, `--job-interval NAME=…`, `sluice.job_runs.job` and the `job`
/// label of the metrics spell: lower-case letters, digits and `_`, starting with a letter, at most 63
/// characters (the database checks the same).
public enum JobNames {
    /// The name that selects every job, in the catalog's order.
    public static let everyJob = "all"

    /// Whether `name` is a well-formed job name.
    public static func isValid(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, ("a"..."z").contains(first), name.unicodeScalars.count <= 63
        else { return false }
        return name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }

    /// The jobs `name` selects among `jobs` (the catalog's names, in order): that one job, or all of them for
    /// `all`.
    /// - Throws: `JobError` (`.unknownJob`) naming every valid choice.
    public static func select(_ name: String, among jobs: [String]) throws(JobError) -> [String] {
        if name == everyJob { return jobs }
        guard jobs.contains(name) else {
            throw JobError(.unknownJob, "unknown job '\(name)'; the jobs are: \(choices(jobs))")
        }
        return [name]
    }

    /// The names `sluice jobs run` takes, for help texts and errors: `partitions, all`.
    public static func choices(_ jobs: [String]) -> String {
        (jobs + [everyJob]).joined(separator: ", ")
    }

    /// The environment variable that sets a per-job value: `SLUICE_JOB_INTERVAL_` + `PARTITIONS`.
    public static func environmentName(prefix: String, job: String) -> String {
        prefix + job.uppercased()
    }
}
