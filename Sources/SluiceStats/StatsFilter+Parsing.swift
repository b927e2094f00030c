extension StatsFilter {
    /// The most alternatives one condition may list.
    package static let maximumValues = 1_000

    /// Parses `filters=` in Plausible's v1 syntax: conditions joined by `;` (all must hold), each
    /// `property==value` or `property!=value`, alternatives joined by `|`
    /// (`page==/pricing|/plans;utm_source!=newsletter`). A `\` makes the next `;`, `|` or `\` part of a value;
    /// before any other character it is kept. Properties as ``StatsProperty/init(parameter:)`` reads them.
    /// An empty text is no condition.
    ///
    /// - Throws: ``StatsError`` (`invalidParameter`, parameter `filters`) naming the condition at fault: an
    ///   empty one, one without `==` or `!=`, an unknown property, an empty alternative, a NUL character,
    ///   more than ``maximumValues`` alternatives.
    package static func parse(_ text: String) throws(StatsError) -> [StatsFilter] {
        guard !text.isEmpty else { return [] }
        var filters: [StatsFilter] = []
        for condition in split(Array(text.unicodeScalars), on: ";") {
            filters.append(try parseCondition(condition))
        }
        return filters
    }

    private static func parseCondition(_ scalars: [Unicode.Scalar]) throws(StatsError) -> StatsFilter {
        let shown = String(String.UnicodeScalarView(scalars))
        func failure(_ message: String) -> StatsError {
            StatsError(.invalidParameter, parameter: "filters", "'\(shown)': \(message)")
        }
        guard !shown.allSatisfy(\.isWhitespace) else {
            throw StatsError(.invalidParameter, parameter: "filters", "a condition between ';' is empty")
        }
        guard !scalars.contains("\u{0}") else { throw failure("NUL characters cannot be matched") }
        // The first `==` or `!=` splits the property from the values; property names hold neither.
        guard
            let index = scalars.indices.dropLast().first(where: {
                scalars[$0 + 1] == "=" && (scalars[$0] == "=" || scalars[$0] == "!")
            })
        else { throw failure("a condition is property==value or property!=value") }
        let name = String(String.UnicodeScalarView(scalars[..<index])).trimmingWhitespace
        guard let property = StatsProperty(parameter: name) else {
            throw failure(
                "unknown property '\(name)'; use one of \(StatsProperty.allCases.map(\.name).joined(separator: ", "))"
            )
        }
        let op: Operator = scalars[index] == "=" ? .is : .isNot
        let values = split(Array(scalars[(index + 2)...]), on: "|").map { unescape($0) }
        guard !values.contains(where: \.isEmpty) else {
            throw failure("an alternative value is empty (write (none) to match a missing one)")
        }
        guard values.count <= maximumValues else {
            throw failure("at most \(maximumValues) alternatives a condition")
        }
        return StatsFilter(property, op, values)
    }

    /// Splits on `separator` where it is not escaped by `\`; the parts keep their escapes.
    private static func split(_ scalars: [Unicode.Scalar], on separator: Unicode.Scalar) -> [[Unicode.Scalar]] {
        var parts: [[Unicode.Scalar]] = [[]]
        var escaped = false
        for scalar in scalars {
            if escaped {
                parts[parts.count - 1].append(scalar)
                escaped = false
            } else if scalar == "\\" {
                parts[parts.count - 1].append(scalar)
                escaped = true
            } else if scalar == separator {
                parts.append([])
            } else {
                parts[parts.count - 1].append(scalar)
            }
        }
        return parts
    }

    /// Drops the `\` before `;`, `|` and `\`.
    private static func unescape(_ scalars: [Unicode.Scalar]) -> String {
        var output = String.UnicodeScalarView()
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            if scalar == "\\", index + 1 < scalars.count, [";", "|", "\\"].contains(scalars[index + 1]) {
                output.append(scalars[index + 1])
                index += 2
            } else {
                output.append(scalar)
                index += 1
            }
        }
        return String(output)
    }
}

extension String {
    var trimmingWhitespace: String {
        var scalars = Substring(self).unicodeScalars[...]
        while let first = scalars.first, first.properties.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.properties.isWhitespace { scalars.removeLast() }
        return String(String.UnicodeScalarView(scalars))
    }
}
