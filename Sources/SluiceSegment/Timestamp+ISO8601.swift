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
            let day = number(2), let date = CalendarDay(year: Int(year), month: Int(month), day: Int(day))
        else { return nil }
        if index == bytes.count {
            // A date alone is midnight UTC of that day.
            self = date.start
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
        let seconds = date.unixDay * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        self.init(unixMicroseconds: seconds * 1_000_000 + micros)
    }

    /// Parses an ISO-8601 date-time string; see ``init(iso8601:)-(UnsafeRawBufferPointer)``.
    package init?(iso8601 text: String) {
        var text = text
        guard let parsed = text.withUTF8({ Timestamp(iso8601: UnsafeRawBufferPointer($0)) }) else { return nil }
        self = parsed
    }
}
