// SluiceStats: the Stats API without I/O — parameters, filters, the choice of plan, SQL text, JSON answers.

/// A request the Stats API refuses before touching the database: always a 400, naming the parameter.
package struct StatsError: Error, Sendable, Equatable, CustomStringConvertible {
    package enum Code: String, Sendable {
        /// A parameter the endpoint does not take.
        case unknownParameter = "unknown_parameter"
        /// A parameter given twice.
        case repeatedParameter = "repeated_parameter"
        /// A parameter whose value cannot be used (a bad date, metric, property, filter, interval, limit).
        case invalidParameter = "invalid_parameter"
        /// A parameter the endpoint needs and did not get.
        case missingParameter = "missing_parameter"
    }

    package let code: Code
    /// The query parameter at fault, e.g. `metrics`.
    package let parameter: String
    /// One line for the caller: the parameter, then what is wrong with it and what it takes.
    package let message: String

    /// - Parameter detail: what is wrong; the message is `parameter: detail`.
    package init(_ code: Code, parameter: String, _ detail: String) {
        self.code = code
        self.parameter = parameter
        self.message = "\(parameter): \(detail)"
    }

    package var description: String { message }
}
