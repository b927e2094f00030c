import Foundation
import SluiceCore

/// The share of recent time the loader spent loading rather than waiting for records to load: an average of
/// its busy and idle stretches, each weighed by how long it lasted and how recent it is (exponentially, with
/// time constant ``window``).
///
/// Near 1 the loader is saturated: as soon as one transaction commits, the next batch is waiting (under a
/// closed-loop load such as `--ack durable` clients, it never waits at all). Below capacity it waits for new
/// records part of the time, and the value sits near the offered load over the capacity.
package struct LoaderUtilization: Sendable, Equatable {
    /// How fast old stretches stop counting: a stretch this long ago weighs about a third of a current one.
    package let window: Duration
    /// The average, from 0 (idle) to 1 (always loading); starts at 0.
    package private(set) var value: Double = 0

    /// The value from which the loader counts as saturated, and the jobs yield to it (`JobPacing`).
    package static let saturated = 0.8

    package init(window: Duration = .seconds(2)) {
        precondition(window > .zero, "the window must be positive")
        self.window = window
    }

    /// Whether the loader counts as saturated.
    package var isSaturated: Bool { value >= Self.saturated }

    /// Adds a stretch of `duration` spent loading (`busy`) or waiting.
    package mutating func record(_ duration: Duration, busy: Bool) {
        guard duration > .zero else { return }
        let weight = 1 - exp(-duration.inSeconds / window.inSeconds)
        value += ((busy ? 1 : 0) - value) * weight
    }
}
