import Testing

/// The suites that run the jobs on a real database, one test at a time.
///
/// Their tests are synchronous and block the thread they run on for a minute or more (libpq, the loader, the
/// jobs); run side by side they would hold every thread of Swift's cooperative pool (two here) and starve the
/// other suites' in-process servers and clients. Serialized, they hold one at most.
@Suite(.serialized) struct AggregationDatabaseTests {}
