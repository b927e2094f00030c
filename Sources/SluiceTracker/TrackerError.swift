/// Why the tracker script could not be prepared; `sluice serve` does not start without it.
package struct TrackerError: Error, CustomStringConvertible, Equatable {
    package enum Code: String, Sendable {
        /// The script is not in the bundle next to the binary.
        case missingResource
        /// The source uses JavaScript that ``TrackerMinifier`` does not handle.
        case unsupportedSource
        /// zlib failed to compress the script.
        case compressionFailed
    }

    package let code: Code
    package let message: String

    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    package var description: String { "tracker script (\(code.rawValue)): \(message)" }
}
