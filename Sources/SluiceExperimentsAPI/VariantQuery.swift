import SluiceEnrichment
import SluiceExperiments

/// The query of `GET /v1/experiments/KEY/variant`: who asks (`userId`, `anonymousId`), optionally what the
/// assignments job would know of them (`country`, `browser`, `os`, `device`, and `traits` as a JSON object), and
/// the write key when it is not in the `Authorization` header (`writeKey`).
///
/// Values are form-decoded (`%XX`, `+` for a space). An empty value counts as absent, as GrowthBook treats an
/// empty hash attribute.
package struct VariantQuery: Sendable, Equatable {
    /// The most characters an id (or any other parameter but `traits`) may have.
    package static let maximumIDLength = 1_000
    /// The most bytes of the `traits` parameter, decoded.
    package static let maximumTraitsBytes = 8_192

    package var writeKey: String?
    package var attributes: ExperimentAttributes

    /// Reads a raw (still percent-encoded) query string.
    ///
    /// - Throws: ``ExperimentsAPIError`` `malformed` when neither `userId` nor `anonymousId` is given, a value is
    ///   longer than ``maximumIDLength`` characters, or `traits` is not a JSON object (or over
    ///   ``maximumTraitsBytes``). Parameters it does not know are ignored.
    package init(query: String?) throws(ExperimentsAPIError) {
        var values: [String: String] = [:]
        var query = query ?? ""
        query.withUTF8 { bytes in
            QueryString.forEachParameter(in: bytes) { name, value in
                let name = QueryString.decode(name)
                if Self.names.contains(name), values[name] == nil {
                    let decoded = QueryString.decode(value)
                    if !decoded.isEmpty { values[name] = decoded }
                }
                return true
            }
        }
        for (name, value) in values where name != "traits" && value.count > Self.maximumIDLength {
            throw ExperimentsAPIError(
                .malformed, "\(name) is over \(Self.maximumIDLength) characters (\(value.count))"
            )
        }
        guard values["userId"] != nil || values["anonymousId"] != nil else {
            throw ExperimentsAPIError(.malformed, "give userId or anonymousId (e.g. ?userId=user-42)")
        }
        var traits: [String: JSONValue] = [:]
        if let text = values["traits"] {
            guard text.utf8.count <= Self.maximumTraitsBytes else {
                throw ExperimentsAPIError(.malformed, "traits is over \(Self.maximumTraitsBytes) bytes")
            }
            guard case .object(let members)? = try? JSONValue(parsing: text) else {
                throw ExperimentsAPIError(.malformed, #"traits must be a JSON object, e.g. {"plan":"pro"}"#)
            }
            for member in members where traits[member.key] == nil { traits[member.key] = member.value }
        }
        writeKey = values["writeKey"]
        attributes = ExperimentAttributes(
            userId: values["userId"], anonymousId: values["anonymousId"], country: values["country"],
            browser: values["browser"], os: values["os"], device: values["device"], traits: traits
        )
    }

    private static let names: Set<String> = [
        "userId", "anonymousId", "writeKey", "country", "browser", "os", "device", "traits",
    ]
}
