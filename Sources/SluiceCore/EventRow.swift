// SluiceCore: the pure logic of Sluice (event rows, encodings, time), with no I/O, so it is tested without
// a server and reused by ingest, loader, jobs and benchmarks alike.

import Foundation

/// One row of `analytics.events`: a Segment call after validation and enrichment, ready to be loaded.
///
/// The stored properties mirror the table's columns one for one and in order (see ``columns``); the
/// migration in `sql/migrations` and this type change together. JSON columns hold validated JSON text,
/// which the loader sends as `jsonb` without parsing it again.
public struct EventRow: Sendable, Equatable {
    public var projectID: Int64
    /// The Segment `messageId`, the dedupe key within a project.
    public var messageID: String
    public var type: EventType
    /// The `track` event name, or the `page`/`screen` name.
    public var event: String?
    public var userID: String?
    public var anonymousID: String?
    public var groupID: String?
    /// The `previousId` of an `alias` call.
    public var previousID: String?
    /// The visit this event belongs to; assigned by the sessions job, `nil` when loaded.
    public var sessionID: UUID?
    /// When the event happened, corrected for client clock skew.
    public var timestamp: Timestamp
    public var receivedAt: Timestamp
    public var sentAt: Timestamp?
    // Columns extracted at ingest for the rollups to group by.
    public var pagePath: String?
    public var referrerHost: String?
    public var utmSource: String?
    public var utmMedium: String?
    public var utmCampaign: String?
    public var utmTerm: String?
    public var utmContent: String?
    /// ISO 3166-1 alpha-2 country code.
    public var country: String?
    public var browser: String?
    public var os: String?
    /// `desktop`, `mobile`, `tablet` or `bot`.
    public var deviceType: String?
    public var isBot: Bool
    /// The client address after the configured privacy treatment (truncated by default), or `nil`.
    public var ip: InetAddress?
    /// JSON object text.
    public var properties: String?
    /// JSON object text.
    public var traits: String?
    /// JSON object text.
    public var context: String?

    /// The column names of `analytics.events` in the order of the stored properties above.
    public static let columns = [
        "project_id", "message_id", "type", "event", "user_id", "anonymous_id", "group_id", "previous_id",
        "session_id", "timestamp", "received_at", "sent_at", "page_path", "referrer_host", "utm_source",
        "utm_medium", "utm_campaign", "utm_term", "utm_content", "country", "browser", "os", "device_type",
        "is_bot", "ip", "properties", "traits", "context",
    ]

    public init(
        projectID: Int64, messageID: String, type: EventType, event: String? = nil, userID: String? = nil,
        anonymousID: String? = nil, groupID: String? = nil, previousID: String? = nil, sessionID: UUID? = nil,
        timestamp: Timestamp, receivedAt: Timestamp, sentAt: Timestamp? = nil, pagePath: String? = nil,
        referrerHost: String? = nil, utmSource: String? = nil, utmMedium: String? = nil,
        utmCampaign: String? = nil, utmTerm: String? = nil, utmContent: String? = nil, country: String? = nil,
        browser: String? = nil, os: String? = nil, deviceType: String? = nil, isBot: Bool = false,
        ip: InetAddress? = nil, properties: String? = nil, traits: String? = nil, context: String? = nil
    ) {
        self.projectID = projectID
        self.messageID = messageID
        self.type = type
        self.event = event
        self.userID = userID
        self.anonymousID = anonymousID
        self.groupID = groupID
        self.previousID = previousID
        self.sessionID = sessionID
        self.timestamp = timestamp
        self.receivedAt = receivedAt
        self.sentAt = sentAt
        self.pagePath = pagePath
        self.referrerHost = referrerHost
        self.utmSource = utmSource
        self.utmMedium = utmMedium
        self.utmCampaign = utmCampaign
        self.utmTerm = utmTerm
        self.utmContent = utmContent
        self.country = country
        self.browser = browser
        self.os = os
        self.deviceType = deviceType
        self.isBot = isBot
        self.ip = ip
        self.properties = properties
        self.traits = traits
        self.context = context
    }
}

/// The Segment call types Sluice stores.
public enum EventType: String, Sendable, CaseIterable {
    case track, page, screen, identify, group, alias
}
