/// One condition of `filters=`: a property, `==` or `!=`, and one or more alternative values.
///
/// A value is compared with the property's shown value, so `(none)` matches a missing one.
package struct StatsFilter: Sendable, Equatable {
    package enum Operator: String, Sendable {
        /// `==`: the value is one of the alternatives.
        case `is` = "=="
        /// `!=`: the value is none of the alternatives.
        case isNot = "!="
    }

    package var property: StatsProperty
    package var `operator`: Operator
    /// At least one.
    package var values: [String]

    package init(_ property: StatsProperty, _ operator: Operator, _ values: [String]) {
        precondition(!values.isEmpty, "a filter has at least one value")
        self.property = property
        self.operator = `operator`
        self.values = values
    }

    /// Whether a shown value (`(none)` for a missing one) meets the condition.
    package func matches(_ value: String) -> Bool {
        switch `operator` {
        case .is: values.contains(value)
        case .isNot: !values.contains(value)
        }
    }
}
