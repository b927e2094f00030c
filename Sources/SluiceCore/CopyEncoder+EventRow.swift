extension CopyEncoder {
    /// Appends one row of `analytics.events`: all ``EventRow/columns``, in that order and with their column
    /// types (`int8`, `text`, `uuid`, `timestamptz`, `bool`, `inet`, `jsonb`), nil fields as NULL.
    ///
    /// The `COPY` statement must list exactly ``EventRow/columns`` (as `copyEvents` does), since binary `COPY`
    /// matches fields by position and PostgreSQL reads each one with its column's receive function.
    public mutating func append(_ row: EventRow) {
        beginRow(fieldCount: EventRow.columns.count)
        append(row.projectID)
        append(text: row.messageID)
        append(text: row.type.rawValue)
        append(text: row.event)
        append(text: row.userID)
        append(text: row.anonymousID)
        append(text: row.groupID)
        append(text: row.previousID)
        append(row.sessionID)
        append(row.timestamp)
        append(row.receivedAt)
        append(row.sentAt)
        append(text: row.pagePath)
        append(text: row.referrerHost)
        append(text: row.utmSource)
        append(text: row.utmMedium)
        append(text: row.utmCampaign)
        append(text: row.utmTerm)
        append(text: row.utmContent)
        append(text: row.country)
        append(text: row.browser)
        append(text: row.os)
        append(text: row.deviceType)
        append(row.isBot)
        append(row.ip)
        append(jsonb: row.properties)
        append(jsonb: row.traits)
        append(jsonb: row.context)
    }
}
