import Logging
import SluiceCore
import SluicePostgres
import SluiceStore

/// Makes sure the days a batch holds have their own partition of `analytics.events` before its `COPY`.
///
/// A row never fails for want of a partition (the default partition takes it), but a row that lands there
/// has to be moved later and makes time-range scans read the default partition too. So before each `COPY`
/// the loader asks for the batch's days; for the few that are not known to exist yet (remembered between
/// batches, so the usual cost is a set lookup per day) it reads the catalog, and creates what is missing
/// with the partitions job's names and bounds (``PartitionMaintainer/partitionName(for:)``, one UTC day).
///
/// Only days of the ``PartitionWindow`` around today are made (the window the partitions job keeps); rows
/// outside go to the default partition. A day is not made while the default partition holds rows for it (PostgreSQL would refuse the
/// new partition; the partitions job moves those rows and creates it), nor when the exclusive lock on
/// `analytics.events` is not granted within ``lockTimeout`` (a long dashboard query holds it). Such days are
/// retried after ``retryInterval``; their rows load into the default partition meanwhile.
///
/// Creation runs in its own short transaction before the load transaction, so the `ACCESS EXCLUSIVE` lock
/// that `CREATE TABLE … PARTITION OF` needs is never held for the length of a `COPY`. It takes the lock on
/// `analytics.events` first, then looks at the default partition, in the order the partitions job does,
/// so the two cannot deadlock.
struct DailyPartitions {
    /// The days given their own partition.
    let window: PartitionWindow
    /// Days known to have a partition.
    private var existing: Set<CalendarDay> = []
    /// Days whose partition could not be made, and when to try again.
    private var deferred: [CalendarDay: ContinuousClock.Instant] = [:]

    /// How long to wait before trying again to make a day that could not be made.
    static let retryInterval: Duration = .seconds(60)
    /// How long to wait for the exclusive lock on `analytics.events`.
    static let lockTimeout = "1s"

    init(window: PartitionWindow) {
        self.window = window
    }

    /// Creates the missing partitions among `days` that lie inside the window around `today`.
    ///
    /// - Returns: the names of the partitions created.
    /// - Throws: `PostgresError` only when the connection fails; any other failure is logged, and the rows
    ///   of those days go to the default partition.
    mutating func prepare(
        _ days: Set<CalendarDay>, connection: PostgresConnection, logger: Logger, today: CalendarDay = .today()
    ) throws -> [String] {
        let now = ContinuousClock.now
        let wanted = days.filter { day in
            window.contains(day, today: today) && !existing.contains(day) && deferred[day].map { now >= $0 } ?? true
        }
        guard !wanted.isEmpty else { return [] }
        existing.formUnion(try Self.partitionDays(connection))
        let missing = wanted.subtracting(existing).sorted()
        guard !missing.isEmpty else { return [] }

        let outcome: (created: [CalendarDay], waiting: [CalendarDay])
        do {
            outcome = try connection.transaction { connection in
                try connection.execute("SET LOCAL lock_timeout = '\(Self.lockTimeout)'")
                try connection.execute("LOCK TABLE analytics.events IN ACCESS EXCLUSIVE MODE")
                let present = try Self.partitionDays(connection)
                let hasDefault =
                    try connection.query("SELECT to_regclass('analytics.events_default') IS NOT NULL").bool(0, 0)
                    ?? false
                var created: [CalendarDay] = []
                var waiting: [CalendarDay] = []
                for day in missing where !present.contains(day) {
                    let (from, to) = (Self.literal(day), Self.literal(day.adding(days: 1)))
                    if hasDefault {
                        let rows = try connection.query(
                            """
                            SELECT EXISTS (SELECT 1 FROM analytics.events_default
                                           WHERE "timestamp" >= \(from) AND "timestamp" < \(to))
                            """
                        )
                        if rows.bool(0, 0) == true {
                            waiting.append(day)
                            continue
                        }
                    }
                    try connection.execute(
                        """
                        CREATE TABLE analytics.\(PartitionMaintainer.partitionName(for: day))
                        PARTITION OF analytics.events FOR VALUES FROM (\(from)) TO (\(to))
                        """
                    )
                    created.append(day)
                }
                return (created, waiting)
            }
        } catch {
            if let failure = error as? PostgresError, failure.code == .connection || !connection.isOpen {
                throw failure
            }
            for day in missing { deferred[day] = now + Self.retryInterval }
            logger.warning(
                "could not create daily partitions; their rows go to the default partition for now",
                metadata: ["days": "\(missing.map(\.description))", "error": "\(error)"]
            )
            return []
        }
        existing.formUnion(missing.filter { !outcome.waiting.contains($0) })
        for day in outcome.created { deferred[day] = nil }
        for day in outcome.waiting { deferred[day] = now + Self.retryInterval }
        if !outcome.waiting.isEmpty {
            logger.info(
                "the default partition holds rows for these days, so their partitions are left to the partitions job",
                metadata: ["days": "\(outcome.waiting.map(\.description))"]
            )
        }
        let names = outcome.created.map { PartitionMaintainer.partitionName(for: $0) }
        if !names.isEmpty {
            logger.info("created daily partitions", metadata: ["partitions": "\(names)"])
        }
        return names
    }

    /// Forgets what is known about `days`, so the next ``prepare(_:connection:logger:today:)`` looks at the
    /// catalog again and tries deferred days at once (after PostgreSQL found no partition for a row).
    mutating func forget(_ days: Set<CalendarDay>) {
        existing.subtract(days)
        for day in days { deferred[day] = nil }
    }

    /// The days that have a partition named `events_pYYYYMMDD`.
    private static func partitionDays(_ connection: PostgresConnection) throws -> Set<CalendarDay> {
        let result = try connection.query(
            """
            SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = 'analytics.events'::regclass
            """
        )
        return Set((0..<result.rowCount).compactMap { result.string($0, 0).flatMap(day(ofPartition:)) })
    }

    /// The day of a partition named `events_pYYYYMMDD`, or nil for any other name.
    static func day(ofPartition name: String) -> CalendarDay? {
        guard name.hasPrefix("events_p") else { return nil }
        let digits = name.dropFirst("events_p".count)
        guard digits.count == 8, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let number = Int(digits) else {
            return nil
        }
        return CalendarDay(year: number / 10_000, month: number / 100 % 100, day: number % 100)
    }

    /// Midnight UTC of `day` as a SQL literal; built from a `CalendarDay`, never from input text.
    private static func literal(_ day: CalendarDay) -> String { "'\(day) 00:00:00+00'" }
}
