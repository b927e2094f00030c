import Metrics

/// The loader's Prometheus metrics, through swift-metrics (the server bootstraps the backend).
struct LoaderMetrics: Sendable {
    /// Rows committed into `analytics.events`.
    let rows = Counter(label: "sluice_copy_rows_total")
    /// Load transactions committed.
    let batches = Counter(label: "sluice_copy_batches_total")
    /// Events dropped before a `COPY` because they were already stored (``DuplicateFilter``).
    let duplicatesDropped = Counter(label: "sluice_load_duplicates_dropped_total")
    /// Rows stored in `sluice.dead_letters`.
    let deadLetters = Counter(label: "sluice_dead_letters_total")
    /// The time from the start of a batch's `COPY` to its commit.
    let latency = Timer(label: "sluice_load_latency_seconds")
    /// Spool bytes written but not yet committed to PostgreSQL.
    let lagBytes = Gauge(label: "sluice_spool_lag_bytes")
    /// The share of recent time the loader spent loading rather than waiting (``LoaderUtilization``).
    let utilization = Gauge(label: "sluice_loader_utilization")
    /// Times the committed checkpoint was found past the data the spool holds (a restored disk, a lost
    /// tail), here when a checkpoint read after an outage start had to move back.
    let checkpointAhead = Counter(label: "sluice_spool_checkpoint_ahead_total")
}
