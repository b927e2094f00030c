/// Per-job durations set as repeated `NAME=DURATION` options and as `PREFIX` + `NAME` environment variables
/// (`--job-interval partitions=15m`, `SLUICE_JOB_INTERVAL_PARTITIONS=15m`); an option wins over the
/// environment.
public struct JobOverrides: Sendable, Equatable {
    /// The durations set, by job name.
    public private(set) var values: [String: Duration] = [:]

    /// Reads the options and the environment.
    ///
    /// - Parameters:
    ///   - option: the option's name as the user types it, for messages (`--job-interval`).
    ///   - environmentPrefix: the variables' common prefix (`SLUICE_JOB_INTERVAL_`); every variable that starts
    ///     with it must name a job of `jobs`.
    ///   - jobs: the names of the jobs this sluice has.
    /// - Throws: `JobError` (`.badSetting`, `.unknownJob`) for an assignment without `=`, a name that is not a
    ///   job, or a value that `JobDuration` does not accept; the message names the option or variable.
    public init(
        option: String, environmentPrefix: String, assignments: [String], environment: [String: String],
        jobs: [String]
    ) throws(JobError) {
        let known = jobs.joined(separator: ", ")
        for (variable, text) in environment.sorted(by: { $0.key < $1.key }) where variable.hasPrefix(environmentPrefix)
        {
            guard !text.isEmpty else { continue }
            guard
                let job = jobs.first(where: { JobNames.environmentName(prefix: environmentPrefix, job: $0) == variable }
                )
            else {
                throw JobError(.unknownJob, "\(variable) does not name a job; the jobs are: \(known)")
            }
            guard let duration = JobDuration.parse(text) else {
                throw JobError(.badSetting, "\(variable)='\(text)' is not a duration (\(JobDuration.accepted))")
            }
            values[job] = duration
        }
        for assignment in assignments {
            guard let equals = assignment.firstIndex(of: "=") else {
                throw JobError(
                    .badSetting, "\(option) takes NAME=DURATION, e.g. \(option) partitions=15m, not '\(assignment)'")
            }
            let job = String(assignment[..<equals])
            let text = assignment[assignment.index(after: equals)...]
            guard jobs.contains(job) else {
                throw JobError(.unknownJob, "\(option) \(assignment): unknown job '\(job)'; the jobs are: \(known)")
            }
            guard let duration = JobDuration.parse(text) else {
                throw JobError(
                    .badSetting, "\(option) \(assignment): '\(text)' is not a duration (\(JobDuration.accepted))")
            }
            values[job] = duration
        }
    }

    /// The duration set for `job`, if any.
    public subscript(job: String) -> Duration? { values[job] }
}
