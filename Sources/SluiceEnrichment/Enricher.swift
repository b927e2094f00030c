// SluiceEnrichment: enrichment at ingest. Turns what an event says about its page, campaign, client and address
// into the extracted columns of `analytics.events`, and applies the IP privacy mode before anything is stored.

import SluiceCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Fills the extracted columns of an ``EventRow`` from the ``EventHints`` the decoder found in the event.
///
/// One per server, shared by every event loop: an immutable value, `Sendable`.
/// ``enrich(_:hints:clientAddress:headerCountry:)`` is pure apart from the time it reads from the row; it scans bytes
/// in place and allocates little beyond the strings it stores: about 2 µs of CPU for a typical browser `page` call in
/// a release build on the 2-core development machine, a fifth of it the user agent. It never traps on any input:
/// malformed URLs, user agents and addresses leave their columns `nil`.
///
/// Columns and rules:
/// - `page_path`: ``EventHints/pagePath`` (without any `?query` or `#fragment` it carries), else the path of
///   ``EventHints/pageURL``; an empty path is `/`; at most ``maximumTextBytes`` bytes. `nil` when the event names
///   no page (a `screen` or `track` call from an app).
/// - `referrer_host`: the host of ``EventHints/referrer``, lower case, without port or a leading `www.`; `nil` when
///   the referrer is empty or not an absolute URL, or when its host is the page's own host (internal navigation,
///   compared after the same normalisation, so `www.example.com` refers to `example.com` as itself). Different
///   subdomains do count as referrers: telling registrable domains apart would need the public suffix list.
/// - `utm_source`, `utm_medium`, `utm_campaign`, `utm_term`, `utm_content`: from `context.campaign` (`name` is the
///   campaign); each one missing or empty there falls back to the `utm_*` parameter of the page URL's query, else
///   of ``EventHints/search``. Query values are form-decoded (`%XX`, `+` as a space); at most ``maximumTextBytes``.
/// - `country`: see ``CountryCode/resolve(location:header:)``.
/// - `browser`, `os`, `device_type`, `is_bot`: see ``UserAgentParser``; all `nil` (and `is_bot` false) when the event
///   has no user agent, as server-side SDK calls often do.
/// - `ip`: ``EventHints/ip`` when it parses as an address (IPv4, IPv6, IPv4-mapped IPv6), else `clientAddress`,
///   then treated by the ``IPMode`` (see ``AddressPrivacy``). The day of a `hash` pseudonym is the UTC day of
///   ``EventRow/receivedAt``.
public struct Enricher: Sendable {
    /// The longest page path and UTM value stored, in UTF-8 bytes (cut at a character boundary): longer values are
    /// junk or attacks, and B-tree index entries in PostgreSQL must stay under about 2,700 bytes.
    package static let maximumTextBytes = 2_000

    /// What is stored of client addresses.
    package var ipMode: IPMode { privacy.mode }

    private let privacy: AddressPrivacy

    /// - Parameters:
    ///   - ipMode: `sluice serve --ip-mode`; `truncate` by default.
    ///   - secret: 16 or more random bytes the server keeps across restarts; the daily salt of ``IPMode/hash`` is
    ///     derived from it (see ``AddressPrivacy``). Unused in the other modes. A new secret changes every
    ///     pseudonym from then on.
    public init(ipMode: IPMode = .truncate, secret: [UInt8]) {
        privacy = AddressPrivacy(mode: ipMode, secret: secret)
    }

    /// Sets `pagePath`, `referrerHost`, the five `utm*`, `country`, `browser`, `os`, `deviceType`, `isBot` and `ip`
    /// on `row`, replacing what they held; leaves every other field alone.
    ///
    /// - Parameters:
    ///   - hints: what the decoder found in the event.
    ///   - clientAddress: the request's peer address (after any trusted proxy header), used when `hints.ip` is absent
    ///     or not an address.
    ///   - headerCountry: the trusted country header's value, when one is configured and the request carries it.
    public func enrich(_ row: inout EventRow, hints: EventHints, clientAddress: InetAddress?, headerCountry: String?) {
        let page = hints.pageURL.flatMap { PageURL($0) }
        row.pagePath = Self.pagePath(hints.pagePath, page: page)
        row.referrerHost = hints.referrer.flatMap { PageURL.referrerHost($0, pageHost: page?.host) }

        let campaign = Self.campaign(hints, page: page)
        row.utmSource = campaign.source
        row.utmMedium = campaign.medium
        row.utmCampaign = campaign.name
        row.utmTerm = campaign.term
        row.utmContent = campaign.content

        row.country = CountryCode.resolve(location: hints.country, header: headerCountry)

        if let userAgent = hints.userAgent, !userAgent.isEmpty {
            let client = UserAgentParser.parse(userAgent)
            row.browser = client.browser
            row.os = client.os
            row.deviceType = client.deviceType
            row.isBot = client.isBot
        } else {
            row.browser = nil
            row.os = nil
            row.deviceType = nil
            row.isBot = false
        }

        row.ip = storedAddress(hints.ip, clientAddress: clientAddress, receivedAt: row.receivedAt)
    }

    /// The `page_path` value; see the type's documentation.
    static func pagePath(_ path: String?, page: PageURL?) -> String? {
        if let path {
            let utf8 = path.utf8
            let end = utf8.firstIndex { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") } ?? utf8.endIndex
            let bare = end == utf8.endIndex ? path : String(Substring(utf8[..<end]))
            let stored = bare.storableText(maximumBytes: maximumTextBytes)
            if !stored.isEmpty { return stored }
            if page == nil { return "/" }
        }
        guard let page else { return nil }
        let stored = page.path.storableText(maximumBytes: maximumTextBytes)
        return stored.isEmpty ? "/" : stored
    }

    /// The UTM values: `context.campaign` first, then each missing one from the page URL's query, then from
    /// `search`.
    static func campaign(_ hints: EventHints, page: PageURL?) -> Campaign {
        var campaign = Campaign(
            source: nonEmpty(hints.campaignSource),
            medium: nonEmpty(hints.campaignMedium),
            name: nonEmpty(hints.campaignName),
            term: nonEmpty(hints.campaignTerm),
            content: nonEmpty(hints.campaignContent)
        )
        if campaign.isComplete { return campaign.capped(to: maximumTextBytes) }
        if let fromURL = page?.campaign {
            campaign.fillMissing(from: fromURL)
        }
        if !campaign.isComplete, let search = hints.search, let fromSearch = Campaign(search: search) {
            campaign.fillMissing(from: fromSearch)
        }
        return campaign.capped(to: maximumTextBytes)
    }

    /// The `ip` value: the event's own address if it parses, else the peer's, through the privacy mode.
    func storedAddress(_ text: String?, clientAddress: InetAddress?, receivedAt: Timestamp) -> InetAddress? {
        if privacy.mode == .drop { return nil }
        guard let address = text.flatMap(Self.address) ?? clientAddress else { return nil }
        return privacy.storedAddress(address, on: CalendarDay(receivedAt))
    }

    /// An address from `context.ip`: trimmed of spaces; `nil` when empty, over-long or not an address.
    ///
    /// Parses with `inet_pton` from a stack buffer rather than through ``InetAddress/init(_:)``, which splits and
    /// copies the text; an address with a `/prefix` (rare in `context.ip`) still goes through it.
    static func address(_ text: String) -> InetAddress? {
        var text = text
        return text.withUTF8 { bytes -> InetAddress? in
            var start = 0
            var end = bytes.count
            while start < end, bytes[start] == UInt8(ascii: " ") { start += 1 }
            while end > start, bytes[end - 1] == UInt8(ascii: " ") { end -= 1 }
            // The longest text form, an IPv4-mapped IPv6 address with a prefix, is 49 bytes.
            let length = end - start
            guard length > 0, length <= 64 else { return nil }
            return withUnsafeTemporaryAllocation(of: CChar.self, capacity: length + 1) { cString -> InetAddress? in
                var isIPv6 = false
                for index in 0..<length {
                    let byte = bytes[start + index]
                    switch byte {
                    case 0: return nil
                    case UInt8(ascii: ":"): isIPv6 = true
                    case UInt8(ascii: "/"): return InetAddress(String(decoding: bytes[start..<end], as: UTF8.self))
                    default: break
                    }
                    cString[index] = CChar(bitPattern: byte)
                }
                cString[length] = 0
                var raw: (UInt64, UInt64) = (0, 0)
                let parsed = withUnsafeMutableBytes(of: &raw) {
                    inet_pton(isIPv6 ? AF_INET6 : AF_INET, cString.baseAddress, $0.baseAddress)
                }
                guard parsed == 1 else { return nil }
                return withUnsafeBytes(of: raw) { InetAddress(bytes: Array($0.prefix(isIPv6 ? 16 : 4))) }
            }
        }
    }

    private static func nonEmpty(_ text: String?) -> String? {
        guard let text, !text.isEmpty else { return nil }
        return text
    }
}
