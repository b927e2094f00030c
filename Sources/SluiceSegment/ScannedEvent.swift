/// One item of a `batch` array (or the body of a single-event call) as the decoder found it: the byte
/// ranges of the members it reads, found in the single validating pass over the body.
///
/// Nothing is decoded yet: turning ranges into strings and times, and checking the rules, happens once the
/// whole body is known to be valid JSON and the batch-level `context` and `sentAt` (which may follow the
/// `batch` array) are known.
struct ScannedEvent {
    /// The event members the decoder reads; every other member is validated and otherwise ignored
    /// (`integrations` among them: it is not stored).
    enum Field: Int {
        case type, event, name, userID, anonymousID, groupID, previousID, messageID
        case timestamp, originalTimestamp, sentAt, properties, traits, context, writeKey

        static let names: [StaticString] = [
            "type", "event", "name", "userId", "anonymousId", "groupId", "previousId", "messageId",
            "timestamp", "originalTimestamp", "sentAt", "properties", "traits", "context", "writeKey",
        ]
    }

    /// The event's position in the `batch` array.
    var index: Int
    /// The item's whole text: the object with its braces, or whatever value stands there instead.
    var range: Range<Int>
    /// Whether the item is a JSON object; the other properties are empty when it is not.
    var isObject: Bool
    /// The first storage problem (NUL, lone surrogate, bad UTF-8) anywhere in the item.
    var problem: JSONScanError?

    // Member values of any JSON kind; `nil` when the member is absent.
    var type: Range<Int>?
    var event: Range<Int>?
    var name: Range<Int>?
    var userID: Range<Int>?
    var anonymousID: Range<Int>?
    var groupID: Range<Int>?
    var previousID: Range<Int>?
    var messageID: Range<Int>?
    var timestamp: Range<Int>?
    var originalTimestamp: Range<Int>?
    var sentAt: Range<Int>?
    var properties: Range<Int>?
    var traits: Range<Int>?
    var writeKey: Range<Int>?
    /// The `context` member's value, of any JSON kind.
    var contextValue: Range<Int>?
    /// The `context` member when it is an object.
    var context: ScannedContext?
    /// `url`, `path`, `referrer` and `search` of `properties` when it is an object (the page fields of a
    /// `page` call).
    var propertiesPage = ScannedContext.Page()

    init(index: Int, range: Range<Int>, isObject: Bool) {
        self.index = index
        self.range = range
        self.isObject = isObject
    }

    /// Scans the item starting at `start` (leading whitespace skipped): an event object, or any other value,
    /// which the decoder will reject.
    ///
    /// - Parameter depth: the nesting depth the item would have as a container.
    /// - Throws: syntax errors.
    static func scan(
        itemAt start: Int, depth: Int, index: Int, with scanner: JSONScanner
    ) throws(JSONScanError) -> ScannedEvent {
        let offset = scanner.skipWhitespace(start)
        guard offset < scanner.bytes.count, scanner.bytes[offset] == UInt8(ascii: "{") else {
            var ignored: JSONScanError?
            let range = try scanner.scanValue(from: offset, depth: depth, unstorable: &ignored)
            return ScannedEvent(index: index, range: range, isObject: false)
        }
        var item = ScannedEvent(index: index, range: offset..<offset, isObject: true)
        var storageProblem: JSONScanError?
        let end = try scanner.forEachMember(ofObjectAt: offset, depth: depth, unstorable: &storageProblem) {
            key, valueStart, valueDepth, problem throws(JSONScanError) in
            guard let field = scanner.index(ofKey: key, in: Field.names).flatMap(Field.init(rawValue:)) else {
                return try scanner.scanValue(from: valueStart, depth: valueDepth, unstorable: &problem).upperBound
            }
            let valueOffset = scanner.skipWhitespace(valueStart)
            let isObject = valueOffset < scanner.bytes.count && scanner.bytes[valueOffset] == UInt8(ascii: "{")
            let value: Range<Int>
            switch field {
            case .context where isObject:
                let context = try ScannedContext.scan(
                    objectAt: valueOffset, depth: valueDepth, with: scanner, unstorable: &problem
                )
                item.context = context
                value = context.range
            case .properties where isObject:
                var page = ScannedContext.Page()
                value = try scanner.scanStringFields(
                    ofObjectAt: valueOffset, depth: valueDepth, names: ScannedContext.Page.names,
                    unstorable: &problem
                ) { page.take($0, $1) }
                item.propertiesPage = page
            default:
                value = try scanner.scanValue(from: valueStart, depth: valueDepth, unstorable: &problem)
                if field == .context { item.context = nil }
                if field == .properties { item.propertiesPage = ScannedContext.Page() }
            }
            item.set(field, value)
            return value.upperBound
        }
        item.range = offset..<end
        item.problem = storageProblem
        return item
    }

    private mutating func set(_ field: Field, _ value: Range<Int>) {
        switch field {
        case .type: type = value
        case .event: event = value
        case .name: name = value
        case .userID: userID = value
        case .anonymousID: anonymousID = value
        case .groupID: groupID = value
        case .previousID: previousID = value
        case .messageID: messageID = value
        case .timestamp: timestamp = value
        case .originalTimestamp: originalTimestamp = value
        case .sentAt: sentAt = value
        case .properties: properties = value
        case .traits: traits = value
        case .context: contextValue = value
        case .writeKey: writeKey = value
        }
    }
}
