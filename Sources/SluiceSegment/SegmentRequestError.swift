/// Why a whole Tracking API request was refused (the HTTP layer answers `400` with ``code``'s name).
///
/// Problems of single events of a batch are not errors but ``SegmentRejection``s.
public struct SegmentRequestError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A stable, machine-readable kind of request error.
    package struct Code: Sendable, Hashable, CustomStringConvertible {
        /// The snake_case name sent to clients in `{"error":{"code":…}}`.
        package let name: String

        private init(_ name: String) { self.name = name }

        /// The body is not JSON (a syntax error anywhere in it, or a truncated body).
        package static let invalidJSON = Code("invalid_json")
        /// Objects and arrays nest deeper than the decoder follows (``SegmentDecoder/maxDepth``).
        package static let nestingTooDeep = Code("nesting_too_deep")
        /// The body is JSON but not an object.
        package static let notAnObject = Code("not_an_object")
        /// A `/v1/batch` body without a `batch` array.
        package static let missingBatch = Code("missing_batch")
        /// A `batch` array with more items than ``SegmentLimits/maxBatchEvents``.
        package static let tooManyEvents = Code("too_many_events")

        package var description: String { name }
    }

    package var code: Code
    /// One sentence for the sender saying what is wrong.
    package var message: String

    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `code: message`, one line.
    public var description: String { "\(code.name): \(message)" }
}
