import SluiceSchedulerCore
import Testing

@Suite struct JobNamesTests {
    @Test func allSelectsEveryJobInCatalogOrder() throws {
        #expect(try JobNames.select("all", among: ["partitions", "sessions"]) == ["partitions", "sessions"])
        #expect(try JobNames.select("sessions", among: ["partitions", "sessions"]) == ["sessions"])
    }

    @Test func anUnknownNameListsTheChoices() {
        #expect(throws: JobError(.unknownJob, "unknown job 'rollups'; the jobs are: partitions, all")) {
            try JobNames.select("rollups", among: ["partitions"])
        }
    }

    @Test func namesAreLowerCaseLettersDigitsAndUnderscores() {
        for name in ["partitions", "a", "rollups_hourly", "job2"] { #expect(JobNames.isValid(name), "\(name)") }
        for name in ["", "Partitions", "2jobs", "roll-ups", "a b", "_x", String(repeating: "a", count: 64)] {
            #expect(!JobNames.isValid(name), "\(name)")
        }
        #expect(
            JobNames.environmentName(prefix: "SLUICE_JOB_INTERVAL_", job: "rollups_hourly")
                == "SLUICE_JOB_INTERVAL_ROLLUPS_HOURLY")
    }
}
