import SluiceCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Turns one scanned event into an ``EventRow`` and ``EventHints``, applying Segment's rules: what a call
/// type needs, identifiers, `messageId`, clock-skew correction, the context merge and the guards on implausible
/// times (too far in the future, or before the partition window).
///
/// Built once a body has been scanned completely, so the batch-level `context` and `sentAt` are known.
/// Borrows the scanner's bytes like the scanner does.
struct EventBuilder {
    /// Why one event is refused; the decoder turns it into a ``SegmentRejection``.
    struct Rejection: Error {
        var reason: String

        init(_ reason: String) { self.reason = reason }

        /// The reason for an event holding text PostgreSQL cannot store.
        static func storage(_ problem: JSONScanError) -> Rejection {
            switch problem.code {
            case .nulCharacter:
                Rejection("The event contains a NUL character (\\u0000), which PostgreSQL cannot store.")
            case .loneSurrogate:
                Rejection("The event contains a lone UTF-16 surrogate, which PostgreSQL cannot store.")
            default:
                Rejection("The event contains bytes that are not valid UTF-8.")
            }
        }
    }

    let scanner: JSONScanner
    let limits: SegmentLimits
    let call: SegmentCall
    let projectID: Int64
    let receivedAt: Timestamp
    /// A batch-level `context` object, merged into every event.
    let sharedContext: ScannedContext?
    /// Whether the batch-level `context` is present but neither an object nor `null`.
    let sharedContextIsInvalid: Bool
    /// A batch-level `sentAt` (the official SDKs send it there), used by events without their own.
    let sharedSentAt: Timestamp?
    /// Whether the batch-level `sentAt` is present but not an ISO-8601 string.
    let sharedSentAtIsInvalid: Bool
    /// The latest event time accepted as is; later ones are replaced by `receivedAt`.
    let latestTimestamp: Timestamp
    /// The earliest event time accepted as is (the first day of the partition window); earlier ones are
    /// replaced by `receivedAt`.
    let earliestTimestamp: Timestamp

    init(
        scanner: JSONScanner, limits: SegmentLimits, call: SegmentCall, projectID: Int64, receivedAt: Timestamp,
        sharedContextValue: Range<Int>?, sharedContext: ScannedContext?, sharedSentAtValue: Range<Int>?
    ) {
        self.scanner = scanner
        self.limits = limits
        self.call = call
        self.projectID = projectID
        self.receivedAt = receivedAt
        self.sharedContext = sharedContext
        sharedContextIsInvalid =
            sharedContext == nil && sharedContextValue.map { scanner.kind(of: $0) != .null } ?? false
        var sharedSentAt: Timestamp?
        var sharedSentAtIsInvalid = false
        if let value = sharedSentAtValue, scanner.kind(of: value) != .null {
            sharedSentAt = Self.timestamp(value, in: scanner)
            sharedSentAtIsInvalid = sharedSentAt == nil
        }
        self.sharedSentAt = sharedSentAt
        self.sharedSentAtIsInvalid = sharedSentAtIsInvalid
        let (future, overflow) = limits.maxFutureSeconds.multipliedReportingOverflow(by: 1_000_000)
        let (latest, overflowAgain) = receivedAt.unixMicroseconds.addingReportingOverflow(future)
        latestTimestamp = Timestamp(unixMicroseconds: overflow || overflowAgain ? .max : latest)
        earliestTimestamp = limits.partitionWindow.earliestAccepted(at: receivedAt)
    }

    /// The accepted event for `item`, or the reason it is refused.
    ///
    /// `newMessageID` is called only for an accepted event without a `messageId`.
    func event(from item: ScannedEvent, newMessageID: () -> String) throws(Rejection) -> SegmentEvent {
        guard item.range.count <= limits.maxEventBytes else {
            throw Rejection("The event is \(item.range.count) bytes long, over the limit of \(limits.maxEventBytes).")
        }
        guard item.isObject else { throw Rejection("The batch item is not a JSON object.") }
        if let problem = item.problem { throw Rejection.storage(problem) }
        let type = try eventType(of: item)
        if let value = item.contextValue, item.context == nil, scanner.kind(of: value) != .null {
            throw Rejection("The event's context is not a JSON object.")
        }
        if sharedContextIsInvalid { throw Rejection("The batch's context is not a JSON object.") }

        let userID = try identifier(item.userID, named: "userId")
        let anonymousID = try identifier(item.anonymousID, named: "anonymousId")
        guard userID != nil || anonymousID != nil else {
            throw Rejection("The event has neither a userId nor an anonymousId.")
        }
        let messageID = try messageID(of: item)

        var row = EventRow(
            projectID: projectID, messageID: "", type: type, userID: userID, anonymousID: anonymousID,
            timestamp: receivedAt, receivedAt: receivedAt
        )
        switch type {
        case .track:
            guard let value = item.event, scanner.kind(of: value) == .string, value.count > 2 else {
                throw Rejection("A track event needs a non-empty string event name.")
            }
            row.event = scanner.decodeString(value)
            row.properties = try objectText(item.properties, named: "properties")
        case .page, .screen:
            row.event = item.name.flatMap(stringValue)
            row.properties = try objectText(item.properties, named: "properties")
        case .identify:
            row.traits = try objectText(item.traits, named: "traits")
        case .group:
            row.groupID = try identifier(item.groupID, named: "groupId")
            row.traits = try objectText(item.traits, named: "traits")
        case .alias:
            row.previousID = try identifier(item.previousID, named: "previousId")
        }

        let originalTimestamp = try time(item.originalTimestamp, named: "originalTimestamp")
        let timestamp = try time(item.timestamp, named: "timestamp")
        var sentAt = try time(item.sentAt, named: "sentAt")
        if sentAt == nil {
            if sharedSentAtIsInvalid { throw Rejection("The batch's sentAt is not an ISO-8601 date-time.") }
            sentAt = sharedSentAt
        }
        row.sentAt = sentAt
        if let eventTime = originalTimestamp ?? timestamp {
            if let sentAt {
                // Segment's clock-skew correction: the client's clock is trusted for the gap between the event
                // and the send, the server's for the rest.
                row.timestamp = Self.corrected(eventTime, sentAt: sentAt, receivedAt: receivedAt)
            } else {
                row.timestamp = eventTime
            }
        }
        var replacement: Replacement?
        if row.timestamp > latestTimestamp {
            replacement = Replacement(flag: "futureTimestampReplaced", time: row.timestamp)
        } else if row.timestamp < earliestTimestamp {
            replacement = Replacement(flag: "pastTimestampReplaced", time: row.timestamp)
        }
        if replacement != nil { row.timestamp = receivedAt }
        row.context = try contextText(item.context, replacement: replacement)
        row.messageID = messageID ?? newMessageID()
        return SegmentEvent(index: item.index, row: row, hints: hints(for: item, type: type))
    }

    /// An event time that was replaced by `receivedAt`: the name of its flag in `context.sluice`, and the time.
    struct Replacement {
        var flag: String
        var time: Timestamp
    }

    /// The farthest a corrected time is taken from the epoch, in microseconds (about 146,000 years): beyond
    /// it the arithmetic saturates rather than overflow, and the result is replaced anyway.
    static let saturation: Int64 = 1 << 62

    /// `receivedAt − (sentAt − eventTime)`, saturated at ±``saturation`` instead of overflowing.
    static func corrected(_ eventTime: Timestamp, sentAt: Timestamp, receivedAt: Timestamp) -> Timestamp {
        let (gap, gapOverflow) = sentAt.unixMicroseconds.subtractingReportingOverflow(eventTime.unixMicroseconds)
        let (time, timeOverflow) = receivedAt.unixMicroseconds.subtractingReportingOverflow(gap)
        let saturated: Int64
        if gapOverflow {
            saturated = sentAt.unixMicroseconds > eventTime.unixMicroseconds ? -saturation : saturation
        } else if timeOverflow {
            saturated = gap > 0 ? -saturation : saturation
        } else {
            saturated = min(max(time, -saturation), saturation)
        }
        return Timestamp(unixMicroseconds: saturated)
    }

    // MARK: Fields

    private func eventType(of item: ScannedEvent) throws(Rejection) -> EventType {
        if case .single(let type) = call { return type }
        guard let value = item.type, scanner.kind(of: value) != .null else { throw Rejection("The event has no type.") }
        guard scanner.kind(of: value) == .string, let type = EventType(rawValue: scanner.decodeString(value)) else {
            throw Rejection("The event's type is not one of track, page, screen, identify, group or alias.")
        }
        return type
    }

    /// An identifier member: a string as is, a number as its JSON text; `nil` when absent, `null` or empty.
    private func identifier(_ value: Range<Int>?, named name: String) throws(Rejection) -> String? {
        guard let value else { return nil }
        switch scanner.kind(of: value) {
        case .string: return value.count > 2 ? scanner.decodeString(value) : nil
        case .number: return scanner.text(value)
        case .null: return nil
        default: throw Rejection("The event's \(name) is neither a string nor a number.")
        }
    }

    /// The client's `messageId`, or `nil` when a new one must be made.
    private func messageID(of item: ScannedEvent) throws(Rejection) -> String? {
        guard let id = try identifier(item.messageID, named: "messageId") else { return nil }
        // UTF-8 is never shorter than the character count, so most IDs need no counting.
        if id.utf8.count > limits.maxMessageIDLength && id.unicodeScalars.count > limits.maxMessageIDLength {
            throw Rejection("The messageId is longer than \(limits.maxMessageIDLength) characters.")
        }
        return id
    }

    /// The text of an object member; `nil` when absent or `null`.
    private func objectText(_ value: Range<Int>?, named name: String) throws(Rejection) -> String? {
        guard let value else { return nil }
        switch scanner.kind(of: value) {
        case .object: return scanner.text(value)
        case .null: return nil
        default: throw Rejection("The event's \(name) is not a JSON object.")
        }
    }

    /// The decoded text of a string value; `nil` for any other kind.
    private func stringValue(_ value: Range<Int>) -> String? {
        scanner.kind(of: value) == .string ? scanner.decodeString(value) : nil
    }

    private func stringValue(_ value: Range<Int>?) -> String? {
        value.flatMap(stringValue)
    }

    /// A time member; `nil` when absent or `null`.
    private func time(_ value: Range<Int>?, named name: String) throws(Rejection) -> Timestamp? {
        guard let value, scanner.kind(of: value) != .null else { return nil }
        guard let time = Self.timestamp(value, in: scanner) else {
            throw Rejection("The event's \(name) is not an ISO-8601 date-time.")
        }
        return time
    }

    /// The ISO-8601 string value at `value`, parsed; `nil` when it is not a string or does not parse.
    private static func timestamp(_ value: Range<Int>, in scanner: JSONScanner) -> Timestamp? {
        guard scanner.kind(of: value) == .string else { return nil }
        let content = scanner.content(ofString: value)
        if !content.contains(UInt8(ascii: "\\")) { return Timestamp(iso8601: content) }
        return Timestamp(iso8601: scanner.decodeString(value))
    }

    // MARK: Context

    /// The stored context text: the event's own members, then the batch-level members whose keys the event
    /// lacks, then Sluice's flag when the time was replaced (`"sluice":{"futureTimestampReplaced":"…"}` or
    /// `"sluice":{"pastTimestampReplaced":"…"}`, the replaced time in UTC); never `ip` or a client's `sluice`.
    ///
    /// Member bytes are copied as they stand in the body (already validated), so the result is valid JSON
    /// without re-serialising anything. `nil` when there is no context at all.
    private func contextText(_ own: ScannedContext?, replacement: Replacement?) throws(Rejection) -> String? {
        func isMerged(_ member: ScannedContext.Member) -> Bool {
            !ScannedContext.isDropped(member) && !(own?.hasKey(of: member, in: scanner) ?? false)
        }
        var memberCount = 0
        var byteCount = 0
        if let shared = sharedContext {
            for member in shared.members where isMerged(member) {
                if let problem = member.problem { throw Rejection.storage(problem) }
                memberCount += 1
                byteCount += member.key.count + 1 + member.value.count
            }
        }
        if memberCount == 0 && replacement == nil {
            guard let own else { return nil }
            if !own.hasDroppedMembers { return scanner.text(own.range) }
        }
        for member in own?.members ?? [] where !ScannedContext.isDropped(member) {
            memberCount += 1
            byteCount += member.key.count + 1 + member.value.count
        }
        var flag = ""
        if let replacement {
            flag = #""sluice":{""# + replacement.flag + #"":""# + replacement.time.iso8601String + #""}"#
            memberCount += 1
            byteCount += flag.utf8.count
        }
        byteCount += 2 + max(0, memberCount - 1)

        let source = scanner.bytes.baseAddress!
        return String(unsafeUninitializedCapacity: byteCount) { buffer in
            let output = buffer.baseAddress!
            var length = 0
            func appendMember(_ member: ScannedContext.Member) {
                if length > 1 {
                    output[length] = UInt8(ascii: ",")
                    length += 1
                }
                memcpy(output + length, source + member.key.lowerBound, member.key.count)
                length += member.key.count
                output[length] = UInt8(ascii: ":")
                length += 1
                memcpy(output + length, source + member.value.lowerBound, member.value.count)
                length += member.value.count
            }
            output[0] = UInt8(ascii: "{")
            length = 1
            for member in own?.members ?? [] where !ScannedContext.isDropped(member) {
                appendMember(member)
            }
            for member in sharedContext?.members ?? [] where isMerged(member) {
                appendMember(member)
            }
            if !flag.isEmpty {
                if length > 1 {
                    output[length] = UInt8(ascii: ",")
                    length += 1
                }
                for byte in flag.utf8 {
                    output[length] = byte
                    length += 1
                }
            }
            output[length] = UInt8(ascii: "}")
            return length + 1
        }
    }

    // MARK: Hints

    /// The hints from the merged context (a top-level member of the event's context replaces the batch's
    /// wholesale), with a `page` call's `properties` filling page fields the context lacks.
    private func hints(for item: ScannedEvent, type: EventType) -> EventHints {
        let own = item.context
        var hints = EventHints()
        let page = own?.page ?? sharedContext?.page
        hints.pageURL = stringValue(page?.url)
        hints.pagePath = stringValue(page?.path)
        hints.referrer = stringValue(page?.referrer)
        hints.search = stringValue(page?.search)
        if type == .page {
            let fallback = item.propertiesPage
            if hints.pageURL == nil { hints.pageURL = stringValue(fallback.url) }
            if hints.pagePath == nil { hints.pagePath = stringValue(fallback.path) }
            if hints.referrer == nil { hints.referrer = stringValue(fallback.referrer) }
            if hints.search == nil { hints.search = stringValue(fallback.search) }
        }
        let campaign = own?.campaign ?? sharedContext?.campaign
        hints.campaignSource = stringValue(campaign?.source)
        hints.campaignMedium = stringValue(campaign?.medium)
        hints.campaignName = stringValue(campaign?.name)
        hints.campaignTerm = stringValue(campaign?.term)
        hints.campaignContent = stringValue(campaign?.content)
        let location = own?.location ?? sharedContext?.location
        hints.country = stringValue(location?.country)
        hints.userAgent = stringValue(own?.userAgent ?? sharedContext?.userAgent)
        hints.ip = stringValue(own?.ip ?? sharedContext?.ip)
        return hints
    }
}
