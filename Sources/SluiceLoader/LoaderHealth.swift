/// Whether a ``SpoolLoader`` is keeping up, for `/readyz`.
package enum LoaderHealth: Sendable, Equatable {
    /// Not yet connected or not yet through its first load.
    case starting
    /// The last attempt to load (or to reach PostgreSQL, when idle) succeeded.
    case healthy
    /// PostgreSQL cannot be reached; the loader keeps retrying with backoff while the spool absorbs the
    /// events. The text is the last connection error.
    case databaseUnavailable(String)
    /// Loading fails for another reason (a damaged spool record, a schema that is not migrated, a
    /// checkpoint that points into a missing segment); the loader keeps retrying, but an operator is needed.
    /// The text is the last error.
    case failed(String)
    /// The checkpoint row belongs to another spool (``LoaderError/Code/spoolConflict``): the loader has
    /// stopped loading, and only an operator can resolve it (the text says how); `/healthz` fails.
    case refused(String)
}
