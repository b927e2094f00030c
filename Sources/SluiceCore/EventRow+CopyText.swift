import Foundation

extension EventRow {
    /// Appends this row as one line of PostgreSQL's text `COPY` format, for the columns ``columns`` in order.
    ///
    /// Fields are separated by a tab and the line ends with a newline; NULL is `\N`; a backslash, tab,
    /// newline or carriage return inside a value is written as `\\`, `\t`, `\n`, `\r`. Timestamps are ISO 8601
    /// in UTC with all six fractional digits (`2026-11-23 09:15:02.123456+00`, with ` BC` before year 1),
    /// booleans `t`/`f`, UUIDs lower-case, addresses as ``InetAddress/description``, JSON as its text.
    ///
    /// It produces exactly the rows that `CopyEncoder.append(_:)` does in binary, so that a benchmark can feed
    /// the same data to `psql \copy` or a text `COPY` (the server's encoding must be UTF-8).
    public func appendCopyText(to buffer: inout [UInt8]) {
        buffer.appendDecimal(projectID)
        buffer.appendField(messageID)
        buffer.appendField(type.rawValue)
        buffer.appendField(event)
        buffer.appendField(userID)
        buffer.appendField(anonymousID)
        buffer.appendField(groupID)
        buffer.appendField(previousID)
        buffer.append(tab)
        if let sessionID { buffer.appendUUID(sessionID) } else { buffer.appendNullMarker() }
        buffer.append(tab)
        buffer.appendTimestamp(timestamp)
        buffer.append(tab)
        buffer.appendTimestamp(receivedAt)
        buffer.append(tab)
        if let sentAt { buffer.appendTimestamp(sentAt) } else { buffer.appendNullMarker() }
        buffer.appendField(pagePath)
        buffer.appendField(referrerHost)
        buffer.appendField(utmSource)
        buffer.appendField(utmMedium)
        buffer.appendField(utmCampaign)
        buffer.appendField(utmTerm)
        buffer.appendField(utmContent)
        buffer.appendField(country)
        buffer.appendField(browser)
        buffer.appendField(os)
        buffer.appendField(deviceType)
        buffer.append(tab)
        buffer.append(isBot ? UInt8(ascii: "t") : UInt8(ascii: "f"))
        buffer.appendField(ip?.description)
        buffer.appendField(properties)
        buffer.appendField(traits)
        buffer.appendField(context)
        buffer.append(UInt8(ascii: "\n"))
    }
}

private let tab = UInt8(ascii: "\t")
private let backslash = UInt8(ascii: "\\")

extension [UInt8] {
    /// Appends a tab, then `text` escaped for text `COPY`, or `\N` for nil.
    fileprivate mutating func appendField(_ text: String?) {
        append(tab)
        guard let text else { return appendNullMarker() }
        let copied: Void? = text.utf8.withContiguousStorageIfAvailable { appendEscaped($0) }
        if copied == nil { Array(text.utf8).withUnsafeBufferPointer { appendEscaped($0) } }
    }

    /// Appends UTF-8 `bytes` with backslash, tab, newline and carriage return escaped.
    ///
    /// Runs of ordinary bytes are copied at once. Scanning bytes is safe for any text: in UTF-8 every byte
    /// of a multi-byte character is 0x80 or above, so none can be mistaken for an ASCII byte escaped here.
    private mutating func appendEscaped(_ bytes: UnsafeBufferPointer<UInt8>) {
        var runStart = 0
        for index in bytes.indices {
            let escaped: UInt8
            switch bytes[index] {
            case backslash: escaped = backslash
            case tab: escaped = UInt8(ascii: "t")
            case UInt8(ascii: "\n"): escaped = UInt8(ascii: "n")
            case UInt8(ascii: "\r"): escaped = UInt8(ascii: "r")
            default: continue
            }
            append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
            append(backslash)
            append(escaped)
            runStart = index + 1
        }
        append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart...]))
    }

    /// Appends `\N`, text `COPY`'s NULL.
    fileprivate mutating func appendNullMarker() {
        append(backslash)
        append(UInt8(ascii: "N"))
    }

    /// Appends `value` in decimal, at least `minimumDigits` digits (zero-padded), with a leading `-` if negative.
    fileprivate mutating func appendDecimal(_ value: Int64, minimumDigits: Int = 1) {
        if value < 0 { append(UInt8(ascii: "-")) }
        // The magnitude is unsigned, so Int64.min needs no special case.
        let magnitude = value.magnitude
        var divisor: UInt64 = 1
        var digits = 1
        while magnitude / divisor >= 10 {
            divisor *= 10
            digits += 1
        }
        for _ in digits..<Swift.max(digits, minimumDigits) { append(UInt8(ascii: "0")) }
        while divisor > 0 {
            append(UInt8(ascii: "0") + UInt8(magnitude / divisor % 10))
            divisor /= 10
        }
    }

    /// Appends `2026-11-23 09:15:02.123456+00` (UTC, six fractional digits), or `0044-03-15 12:00:00.000000+00 BC`
    /// for years before 1: PostgreSQL has no year 0, so proleptic Gregorian year `y <= 0` is `1 - y` BC.
    fileprivate mutating func appendTimestamp(_ timestamp: Timestamp) {
        let microsecondsPerDay: Int64 = 86_400_000_000
        let day = timestamp.unixDay
        // Non-negative, because unixDay rounds down also before 1970.
        let timeOfDay = timestamp.unixMicroseconds - day * microsecondsPerDay
        let (year, month, dayOfMonth) = Self.civilDate(unixDay: day)
        appendDecimal(year > 0 ? year : 1 - year, minimumDigits: 4)
        append(UInt8(ascii: "-"))
        appendDecimal(month, minimumDigits: 2)
        append(UInt8(ascii: "-"))
        appendDecimal(dayOfMonth, minimumDigits: 2)
        append(UInt8(ascii: " "))
        let seconds = timeOfDay / 1_000_000
        appendDecimal(seconds / 3600, minimumDigits: 2)
        append(UInt8(ascii: ":"))
        appendDecimal(seconds / 60 % 60, minimumDigits: 2)
        append(UInt8(ascii: ":"))
        appendDecimal(seconds % 60, minimumDigits: 2)
        append(UInt8(ascii: "."))
        appendDecimal(timeOfDay % 1_000_000, minimumDigits: 6)
        append(contentsOf: "+00".utf8)
        if year <= 0 { append(contentsOf: " BC".utf8) }
    }

    /// The proleptic Gregorian (year, month, day) of a day counted from 1970-01-01, before or after it
    /// (Howard Hinnant's `civil_from_days`, which works in 400-year eras and so needs no tables).
    private static func civilDate(unixDay: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let shifted = unixDay + 719_468  // days since 0000-03-01, so that a leap day is the last day of a year
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// Appends `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` in lower case, as PostgreSQL prints a `uuid`.
    fileprivate mutating func appendUUID(_ uuid: UUID) {
        func hexDigit(_ nibble: UInt8) -> UInt8 {
            nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
        }
        Swift.withUnsafeBytes(of: uuid.uuid) { bytes in
            for (index, byte) in bytes.enumerated() {
                if index == 4 || index == 6 || index == 8 || index == 10 { append(UInt8(ascii: "-")) }
                append(hexDigit(byte >> 4))
                append(hexDigit(byte & 0x0F))
            }
        }
    }
}
