import SluiceSchedulerCore
import Testing

@Suite struct JobOverridesTests {
    let jobs = ["partitions", "sessions"]

    func overrides(_ assignments: [String], _ environment: [String: String] = [:]) throws(JobError) -> JobOverrides {
        try JobOverrides(
            option: "--job-interval", environmentPrefix: "SLUICE_JOB_INTERVAL_", assignments: assignments,
            environment: environment, jobs: jobs
        )
    }

    @Test func optionsAndEnvironmentSetDurationsAndTheOptionWins() throws {
        let set = try overrides(
            ["partitions=15m"],
            ["SLUICE_JOB_INTERVAL_PARTITIONS": "1h", "SLUICE_JOB_INTERVAL_SESSIONS": "90", "UNRELATED": "x"]
        )
        #expect(set["partitions"] == .seconds(900))
        #expect(set["sessions"] == .seconds(90))
        #expect(try overrides([])["partitions"] == nil)
        #expect(try overrides(["partitions=1m", "partitions=2m"])["partitions"] == .seconds(120))
    }

    @Test func anEmptyVariableIsUnset() throws {
        #expect(try overrides([], ["SLUICE_JOB_INTERVAL_PARTITIONS": ""])["partitions"] == nil)
    }

    @Test func badAssignmentsNameTheOptionAndWhatIsAccepted() {
        #expect(
            throws: JobError(
                .badSetting, "--job-interval takes NAME=DURATION, e.g. --job-interval partitions=15m, not 'partitions'")
        ) {
            try overrides(["partitions"])
        }
        #expect(
            throws: JobError(
                .unknownJob, "--job-interval rollup=1h: unknown job 'rollup'; the jobs are: partitions, sessions")
        ) {
            try overrides(["rollup=1h"])
        }
        #expect(
            throws: JobError(
                .badSetting, "--job-interval partitions=0: '0' is not a duration (\(JobDuration.accepted))")
        ) {
            try overrides(["partitions=0"])
        }
        #expect(
            throws: JobError(
                .badSetting, "SLUICE_JOB_INTERVAL_PARTITIONS='soon' is not a duration (\(JobDuration.accepted))")
        ) {
            try overrides([], ["SLUICE_JOB_INTERVAL_PARTITIONS": "soon"])
        }
        #expect(
            throws: JobError(
                .unknownJob, "SLUICE_JOB_INTERVAL_PARTITION does not name a job; the jobs are: partitions, sessions")
        ) {
            try overrides([], ["SLUICE_JOB_INTERVAL_PARTITION": "1h"])
        }
    }
}
