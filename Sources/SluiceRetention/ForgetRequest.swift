import Foundation

/// The body of `POST /v1/privacy/forget`, read and checked without I/O: exactly one of `userId` and
/// `anonymousId`, a non-empty string of at most ``maximumLength`` characters.
public struct ForgetRequest: Sendable, Equatable {
    /// Which kind of id the caller named (both are erased the same way, with every id linked to it).
    public enum Field: String, Sendable {
        case userId
        case anonymousId
    }

    public let field: Field
    public let id: String

    /// Characters an id may have, as many as a `messageId` may have in ten: longer is no id Sluice stored.
    public static let maximumLength = 1_000

    /// Why a body is refused: the message starts with the field at fault, which ``field`` names too.
    public struct Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        /// `userId`, `anonymousId`, or `body` when the body as a whole is wrong.
        public let field: String
        public let message: String
        public var description: String { message }
    }

    public init(field: Field, id: String) {
        self.field = field
        self.id = id
    }

    /// Reads `body`.
    /// - Throws: ``Refusal``: not JSON, not an object, neither or both ids, an id that is not a string, empty,
    ///   or longer than ``maximumLength``.
    public init(json body: [UInt8]) throws(Refusal) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed])
        else {
            throw Refusal(field: "body", message: #"body is not JSON; send {"userId":"…"} or {"anonymousId":"…"}"#)
        }
        guard let fields = object as? [String: Any] else {
            throw Refusal(field: "body", message: #"body must be a JSON object: {"userId":"…"} or {"anonymousId":"…"}"#)
        }
        let present = [Field.userId, .anonymousId].filter { fields[$0.rawValue] != nil && !(fields[$0.rawValue] is NSNull) }
        guard present.count == 1, let field = present.first else {
            throw Refusal(
                field: present.isEmpty ? Field.userId.rawValue : Field.anonymousId.rawValue,
                message: present.isEmpty
                    ? "userId or anonymousId is required (exactly one of them)"
                    : "anonymousId must not be sent with userId: name one id, the linked ones are erased with it"
            )
        }
        guard let id = fields[field.rawValue] as? String else {
            throw Refusal(field: field.rawValue, message: "\(field.rawValue) must be a string")
        }
        guard !id.isEmpty else { throw Refusal(field: field.rawValue, message: "\(field.rawValue) must not be empty") }
        guard !id.unicodeScalars.contains("\0") else {
            throw Refusal(field: field.rawValue, message: "\(field.rawValue) holds a NUL character, which no stored id has")
        }
        guard id.count <= Self.maximumLength else {
            throw Refusal(
                field: field.rawValue,
                message: "\(field.rawValue) is \(id.count) characters long; at most \(Self.maximumLength) are allowed"
            )
        }
        self.field = field
        self.id = id
    }
}
