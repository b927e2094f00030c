/// Why the dashboard page could not be prepared; the server answers `GET /` with this message instead.
package struct DashboardError: Error, CustomStringConvertible, Equatable {
    package enum Code: String, Sendable {
        /// A file of the page is not in the bundle next to the binary.
        case missingResource
        /// The HTML does not reference its stylesheet or script where the assembly expects it, or the CSS or
        /// JavaScript holds text that would end its inline element early.
        case malformedSource
        /// zlib failed to compress the page.
        case compressionFailed
    }

    package let code: Code
    package let message: String

    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    package var description: String { "dashboard page (\(code.rawValue)): \(message)" }
}
