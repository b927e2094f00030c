/// A database operation of Sluice that could not be done, in one line that says what to do.
public struct StoreError: Error, CustomStringConvertible, Sendable, Equatable {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
