/// One `context` object as the decoder found it: its top-level members and the hint fields in them, all
/// as byte ranges into the scanned body.
///
/// Built in the single validating pass over a body; the decoder later merges a batch-level context into an
/// event's at the top level (the event's members win), drops `ip`, and copies the member bytes into the
/// stored context text.
struct ScannedContext {
    /// The top-level context members the decoder treats specially.
    enum MemberName: Int {
        case ip, page, campaign, location, userAgent
        /// Reserved for Sluice's own flags; a client's `context.sluice` is not stored.
        case sluice
        case other

        static let names: [StaticString] = ["ip", "page", "campaign", "location", "userAgent", "sluice"]
    }

    struct Member {
        /// The key with its quotes.
        var key: Range<Int>
        var value: Range<Int>
        var name: MemberName
        /// The first storage problem (NUL, lone surrogate, bad UTF-8) in the key or value, if any.
        var problem: JSONScanError?
    }

    /// String fields of `context.page` (or a `page` call's `properties`); each range is a JSON string.
    struct Page {
        var url: Range<Int>?
        var path: Range<Int>?
        var referrer: Range<Int>?
        var search: Range<Int>?

        static let names: [StaticString] = ["url", "path", "referrer", "search"]

        mutating func take(_ field: Int, _ value: Range<Int>) {
            switch field {
            case 0: url = value
            case 1: path = value
            case 2: referrer = value
            default: search = value
            }
        }
    }

    /// String fields of `context.campaign`; each range is a JSON string.
    struct Campaign {
        var source: Range<Int>?
        var medium: Range<Int>?
        var name: Range<Int>?
        var term: Range<Int>?
        var content: Range<Int>?

        static let names: [StaticString] = ["source", "medium", "name", "term", "content"]

        mutating func take(_ field: Int, _ value: Range<Int>) {
            switch field {
            case 0: source = value
            case 1: medium = value
            case 2: name = value
            case 3: term = value
            default: content = value
            }
        }
    }

    /// String fields of `context.location`.
    struct Location {
        var country: Range<Int>?

        static let names: [StaticString] = ["country"]
    }

    /// The whole object, braces included.
    var range: Range<Int>
    var members: [Member] = []
    /// Present when the context has a `page` member (the last one, as `jsonb` keeps the last of duplicates),
    /// even when that member is not an object.
    var page: Page?
    var campaign: Campaign?
    var location: Location?
    /// The value of the `userAgent` member, of any JSON kind.
    var userAgent: Range<Int>?
    /// The value of the `ip` member, of any JSON kind.
    var ip: Range<Int>?
    /// Whether a member must be left out of the stored text (`ip`, `sluice`).
    var hasDroppedMembers = false

    /// Scans the object whose `{` is at `start` in `scanner`'s bytes.
    ///
    /// - Parameters:
    ///   - depth: the nesting depth of this object.
    ///   - unstorable: receives the first storage problem met, if it is still `nil`; each member also keeps
    ///     its own, so that a batch-level context can reject only the events it is merged into.
    /// - Throws: syntax errors.
    static func scan(
        objectAt start: Int, depth: Int, with scanner: JSONScanner, unstorable: inout JSONScanError?
    ) throws(JSONScanError) -> ScannedContext {
        var context = ScannedContext(range: start..<start)
        var firstProblem: JSONScanError?
        var memberProblem: JSONScanError?
        let end = try scanner.forEachMember(ofObjectAt: start, depth: depth, unstorable: &memberProblem) {
            key, valueStart, valueDepth, problem throws(JSONScanError) in
            // `problem` is reset after every member, so here it holds only what the key itself contained.
            let name = scanner.index(ofKey: key, in: MemberName.names).flatMap(MemberName.init(rawValue:)) ?? .other
            let valueOffset = scanner.skipWhitespace(valueStart)
            let isObject = valueOffset < scanner.bytes.count && scanner.bytes[valueOffset] == UInt8(ascii: "{")
            // `page`, `campaign` and `location` are read field by field when they are objects; any other
            // value is kept as it is (and yields no hints).
            func fields(_ names: [StaticString], _ take: (Int, Range<Int>) -> Void) throws(JSONScanError) -> Range<Int> {
                guard isObject else {
                    return try scanner.scanValue(from: valueStart, depth: valueDepth, unstorable: &problem)
                }
                return try scanner.scanStringFields(
                    ofObjectAt: valueOffset, depth: valueDepth, names: names, unstorable: &problem, take
                )
            }
            let value: Range<Int>
            switch name {
            case .page:
                var page = Page()
                value = try fields(Page.names) { page.take($0, $1) }
                context.page = page
            case .campaign:
                var campaign = Campaign()
                value = try fields(Campaign.names) { campaign.take($0, $1) }
                context.campaign = campaign
            case .location:
                var location = Location()
                value = try fields(Location.names) { _, country in location.country = country }
                context.location = location
            case .userAgent:
                value = try scanner.scanValue(from: valueStart, depth: valueDepth, unstorable: &problem)
                context.userAgent = value
            case .ip:
                value = try scanner.scanValue(from: valueStart, depth: valueDepth, unstorable: &problem)
                context.ip = value
                context.hasDroppedMembers = true
            case .sluice:
                value = try scanner.scanValue(from: valueStart, depth: valueDepth, unstorable: &problem)
                context.hasDroppedMembers = true
            case .other:
                value = try scanner.scanValue(from: valueStart, depth: valueDepth, unstorable: &problem)
            }
            context.members.append(Member(key: key, value: value, name: name, problem: problem))
            if firstProblem == nil { firstProblem = problem }
            problem = nil
            return value.upperBound
        }
        context.range = start..<end
        if unstorable == nil { unstorable = firstProblem ?? memberProblem }
        return context
    }

    /// Whether the member is left out of stored context text: the raw client IP must never be stored, and
    /// `sluice` is where Sluice writes its own flags.
    static func isDropped(_ member: Member) -> Bool {
        member.name == .ip || member.name == .sluice
    }

    /// Whether this context has a member with `member`'s key.
    func hasKey(of member: Member, in scanner: JSONScanner) -> Bool {
        if member.name != .other {
            return members.contains { $0.name == member.name }
        }
        return members.contains { $0.name == .other && scanner.stringsEqual($0.key, member.key) }
    }
}

extension JSONScanner {
    /// Scans the object whose `{` is at `start`, handing `take` the position in `names` and the value range of
    /// every top-level member whose key is one of `names` and whose value is a string. Returns the object's
    /// range.
    func scanStringFields(
        ofObjectAt start: Int, depth: Int, names: [StaticString], unstorable: inout JSONScanError?,
        _ take: (Int, Range<Int>) -> Void
    ) throws(JSONScanError) -> Range<Int> {
        let end = try forEachMember(ofObjectAt: start, depth: depth, unstorable: &unstorable) { member in
            guard bytes[member.value.lowerBound] == UInt8(ascii: "\""),
                let field = index(ofKey: member.key, in: names)
            else { return }
            take(field, member.value)
        }
        return start..<end
    }
}
