import SluiceSchedulerCore

/// A lease this process holds on one job: what its fenced transactions and its renewals must match.
public struct JobLease: Sendable, Equatable {
    public let job: String
    /// This process's identity (`JobHolder`), as written into `sluice.job_leases.holder`.
    public let holder: String
    /// The fencing token this acquisition got; a later acquisition by anyone gets a larger one.
    public let token: Int64
    public let timing: LeaseTiming

    package init(job: String, holder: String, token: Int64, timing: LeaseTiming) {
        self.job = job
        self.holder = holder
        self.token = token
        self.timing = timing
    }

    /// The parameters `$1…$4` of the statements that match this lease: job, holder, token, timeout.
    var parameters: [String?] { [job, holder, String(token), Self.interval(timing.timeout)] }

    /// `duration` as a PostgreSQL interval literal.
    static func interval(_ duration: Duration) -> String { "\(duration.milliseconds) milliseconds" }
}
