import SluiceCore

extension Timestamp {
    /// Parses an ISO-8601 / RFC 3339 date-time as the Segment SDKs send it, e.g. `2026-11-23T10:15:30.123Z`.
    ///
    /// Accepts `YYYY-MM-DD` alone (midnight UTC), or followed by `T`, `t` or a space, `hh:mm[:ss[.fraction]]`
    /// (`.` or `,` before the fraction), then `Z`, `z`, `±hh:mm`, `±hhmm`, `±hh` or nothing (taken as UTC, as
    /// Python's naive `isoformat()` is meant). Fractions of any length are rounded to the microsecond, as
    /// PostgreSQL does. Returns `nil` for anything else, including impossible dates such as February 30.
    package init?(iso8601 bytes: UnsafeRawBufferPointer) {
        var index = 0
        func number(_ digits: Int) -> Int64? {
            guard index + digits <= bytes.count else { return nil }
            var value: Int64 = 0
            for _ in 0..<digits {
                let byte = bytes[index]
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int64(byte - UInt8(ascii: "0"))
                index += 1
            }
            return value
        }
        func skip(_ byte: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }
        guard let year = number(4), skip(UInt8(ascii: "-")), let month = number(2), skip(UInt8(ascii: "-")),
            let day = number(2), (1...12).contains(month), day >= 1,
            day <= Self.daysInMonth(month, year: year)
        else { return nil }
        if index == bytes.count {
            // A date alone is midnight UTC of that day.
            self.init(unixMicroseconds: Self.daysSinceUnixEpoch(year: year, month: month, day: day) * 86_400_000_000)
            return
        }
        guard skip(UInt8(ascii: "T")) || skip(UInt8(ascii: "t")) || skip(0x20) else { return nil }
        guard let hour = number(2), hour < 24, skip(UInt8(ascii: ":")), let minute = number(2), minute < 60 else {
            return nil
        }
        var second: Int64 = 0
        var micros: Int64 = 0
        if skip(UInt8(ascii: ":")) {
            guard let value = number(2), value <= 60 else { return nil }  // 60: a leap second rolls over.
            second = value
            if skip(UInt8(ascii: ".")) || skip(UInt8(ascii: ",")) {
                var digits = 0
                var roundUp = false
                while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
                    let digit = Int64(bytes[index] - UInt8(ascii: "0"))
                    if digits < 6 {
                        micros = micros * 10 + digit
                    } else if digits == 6 {
                        roundUp = digit >= 5
                    }
                    digits += 1
                    index += 1
                }
                guard digits > 0 else { return nil }
                for _ in digits..<max(digits, 6) { micros *= 10 }
                if roundUp { micros += 1 }
            }
        }
        var offsetSeconds: Int64 = 0
        if index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "Z"), UInt8(ascii: "z"):
                index += 1
            case UInt8(ascii: "+"), UInt8(ascii: "-"):
                let sign: Int64 = bytes[index] == UInt8(ascii: "-") ? -1 : 1
                index += 1
                guard let hours = number(2), hours < 24 else { return nil }
                var minutes: Int64 = 0
                if index < bytes.count {
                    _ = skip(UInt8(ascii: ":"))
                    guard let value = number(2), value < 60 else { return nil }
                    minutes = value
                }
                offsetSeconds = sign * (hours * 3600 + minutes * 60)
            default:
                return nil
            }
        }
        guard index == bytes.count else { return nil }
        let days = Self.daysSinceUnixEpoch(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        self.init(unixMicroseconds: seconds * 1_000_000 + micros)
    }

    /// Parses an ISO-8601 date-time string; see ``init(iso8601:)-(UnsafeRawBufferPointer)``.
    package init?(iso8601 text: String) {
        var text = text
        guard let parsed = text.withUTF8({ Timestamp(iso8601: UnsafeRawBufferPointer($0)) }) else { return nil }
        self = parsed
    }

    /// The instant as RFC 3339 text in UTC, e.g. `2026-11-23T10:15:30.123456Z`; the fraction is written
    /// (always six digits) only when the instant is not a whole second.
    package var iso8601String: String {
        let perSecond: Int64 = 1_000_000
        var seconds = unixMicroseconds / perSecond
        var micros = unixMicroseconds % perSecond
        if micros < 0 {
            seconds -= 1
            micros += perSecond
        }
        var days = seconds / 86_400
        var secondOfDay = seconds % 86_400
        if secondOfDay < 0 {
            days -= 1
            secondOfDay += 86_400
        }
        let (year, month, day) = Self.civilDate(daysSinceUnixEpoch: days)
        var text = ""
        text.reserveCapacity(27)
        func append(_ value: Int64, digits: Int) {
            var digitsText = String(value)
            if digitsText.count < digits {
                digitsText = String(repeating: "0", count: digits - digitsText.count) + digitsText
            }
            text += digitsText
        }
        append(year, digits: 4)
        text += "-"
        append(month, digits: 2)
        text += "-"
        append(day, digits: 2)
        text += "T"
        append(secondOfDay / 3600, digits: 2)
        text += ":"
        append(secondOfDay / 60 % 60, digits: 2)
        text += ":"
        append(secondOfDay % 60, digits: 2)
        if micros != 0 {
            text += "."
            append(micros, digits: 6)
        }
        text += "Z"
        return text
    }

    private static func daysInMonth(_ month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days from 1970-01-01 to the given proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
    private static func daysSinceUnixEpoch(year: Int64, month: Int64, day: Int64) -> Int64 {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The proleptic Gregorian date of a day counted from 1970-01-01 (Howard Hinnant's `civil_from_days`).
    private static func civilDate(daysSinceUnixEpoch days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }
}
