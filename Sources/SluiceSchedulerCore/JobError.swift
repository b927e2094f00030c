// SluiceSchedulerCore: the scheduler's rules without I/O — durations, when a job is due, lease timing, which
// jobs a name selects, and run records as people and scripts read them. Unit-tested without a database.

/// Why a scheduled job could not be configured, selected or run, in one line that says what to do.
public struct JobError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String { case badSetting, unknownJob, leaseLost, notInTransaction }
        fileprivate let base: Base

        /// A duration or a `NAME=DURATION` assignment that cannot be used (bad usage, exit 64).
        public static let badSetting = Code(base: .badSetting)
        /// A job name that this sluice does not have (bad usage, exit 64).
        public static let unknownJob = Code(base: .unknownJob)
        /// The run's lease was taken over or expired: a fenced transaction was rolled back.
        public static let leaseLost = Code(base: .leaseLost)
        /// `fence` was called on a connection that has no transaction open, so it could protect nothing.
        public static let notInTransaction = Code(base: .notInTransaction)

        public var description: String { base.rawValue }
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
