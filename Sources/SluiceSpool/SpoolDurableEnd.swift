import Synchronization

/// The spool position up to which everything is fsync'd: published by the writer after each successful
/// sync, read by the loader as the limit of what it may load.
///
/// Only ever moves forward. Thread safety: any thread; the position sits behind a mutex taken once per
/// fsync by the writer and once per batch by the loader.
package final class SpoolDurableEnd: Sendable {
    private let value: Mutex<SpoolPosition>

    package init(_ position: SpoolPosition = .start) {
        value = Mutex(position)
    }

    /// The durable end as last published.
    package var position: SpoolPosition {
        value.withLock { $0 }
    }

    /// Publishes `position`, unless an earlier publication was already past it.
    package func advance(to position: SpoolPosition) {
        value.withLock { current in
            if position > current { current = position }
        }
    }
}
