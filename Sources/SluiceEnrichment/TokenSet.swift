/// A fixed set of byte strings, all found in one pass over a text.
///
/// Finding `k` tokens with `k` substring searches reads the text `k` times; a user agent meets some 60 tokens, so
/// the parser uses this instead: one pass in which each pair of adjacent bytes is first tested against a bitmap
/// of the pairs that begin some token (8 KB, one bit per pair), which rejects almost every position at once; only
/// where it passes are the tokens that begin with that byte compared. Built once (as a `static let`); matching
/// allocates nothing.
///
/// With `ignoringCase`, ASCII letters of the text are folded to lower case before comparing, and the tokens are
/// stored folded too.
struct TokenSet: Sendable {
    /// All tokens' bytes, one after another; token `i` is `bytes[starts[i]..<starts[i + 1]]`.
    private let bytes: [UInt8]
    private let starts: [Int]
    /// For each first byte `b`, the indices of the tokens starting with it:
    /// `order[firstByteStart[b]..<firstByteStart[b + 1]]`.
    private let firstByteStart: [Int]
    private let order: [Int]
    /// Bit `first << 8 | second` is set when some token starts with those two bytes; a one-byte token sets every
    /// pair starting with its byte (including `first << 8`, which stands for its byte at the end of the text).
    private let leadingPairs: [UInt64]
    let ignoringCase: Bool

    /// The number of tokens.
    var count: Int { starts.count - 1 }

    /// A set of `tokens` (each non-empty; case folding touches ASCII letters only), numbered in the order given.
    init(_ tokens: [StaticString], ignoringCase: Bool) {
        self.ignoringCase = ignoringCase
        var bytes: [UInt8] = []
        var starts: [Int] = [0]
        var firsts: [UInt8] = []
        for token in tokens {
            precondition(token.utf8CodeUnitCount > 0, "tokens are not empty")
            let tokenBytes = UnsafeBufferPointer(start: token.utf8Start, count: token.utf8CodeUnitCount)
            let folded = ignoringCase ? tokenBytes.map(ASCII.lowercased) : Array(tokenBytes)
            firsts.append(folded[0])
            bytes += folded
            starts.append(bytes.count)
        }
        var leadingPairs = [UInt64](repeating: 0, count: 65_536 / 64)
        for token in 0..<tokens.count {
            let first = Int(bytes[starts[token]])
            let seconds = starts[token + 1] - starts[token] == 1 ? Array(0...255) : [Int(bytes[starts[token] + 1])]
            for second in seconds {
                let pair = first << 8 | second
                leadingPairs[pair >> 6] |= 1 << UInt64(pair & 63)
            }
        }
        var firstByteStart = [Int](repeating: 0, count: 257)
        for first in firsts { firstByteStart[Int(first) + 1] += 1 }
        for index in 1...256 { firstByteStart[index] += firstByteStart[index - 1] }
        var order = [Int](repeating: 0, count: tokens.count)
        var next = firstByteStart
        for (index, first) in firsts.enumerated() {
            order[next[Int(first)]] = index
            next[Int(first)] += 1
        }
        self.bytes = bytes
        self.starts = starts
        self.firstByteStart = firstByteStart
        self.order = order
        self.leadingPairs = leadingPairs
    }

    /// Calls `body(token, offset)` for every occurrence of every token in `text`, by increasing offset (tokens
    /// starting at the same offset in the order given to `init`), until `body` returns `false`.
    func forEachMatch(in text: UnsafeBufferPointer<UInt8>, _ body: (_ token: Int, _ offset: Int) -> Bool) {
        guard !text.isEmpty else { return }
        bytes.withUnsafeBufferPointer { bytes in
            starts.withUnsafeBufferPointer { starts in
                firstByteStart.withUnsafeBufferPointer { firstByteStart in
                    order.withUnsafeBufferPointer { order in
                        leadingPairs.withUnsafeBufferPointer { leadingPairs in
                            var next = fold(text[0])
                            var offset = 0
                            while offset < text.count {
                                let first = next
                                next = offset + 1 < text.count ? fold(text[offset + 1]) : 0
                                let pair = Int(first) << 8 | Int(next)
                                if leadingPairs[pair >> 6] & (1 << UInt64(pair & 63)) != 0 {
                                    var candidate = firstByteStart[Int(first)]
                                    let end = firstByteStart[Int(first) + 1]
                                    while candidate < end {
                                        let token = order[candidate]
                                        if matches(bytes, starts[token]..<starts[token + 1], text, at: offset),
                                            !body(token, offset)
                                        {
                                            return
                                        }
                                        candidate += 1
                                    }
                                }
                                offset += 1
                            }
                        }
                    }
                }
            }
        }
    }

    /// Whether `tokens[token]` occurs in `text` at `offset` (the first byte is known to match).
    @inline(__always)
    private func matches(
        _ tokens: UnsafeBufferPointer<UInt8>, _ token: Range<Int>, _ text: UnsafeBufferPointer<UInt8>, at offset: Int
    ) -> Bool {
        guard text.count - offset >= token.count else { return false }
        var index = 1
        while index < token.count {
            if fold(text[offset + index]) != tokens[token.lowerBound + index] { return false }
            index += 1
        }
        return true
    }

    @inline(__always)
    private func fold(_ byte: UInt8) -> UInt8 {
        ignoringCase ? ASCII.lowercased(byte) : byte
    }

    /// A bit mask of the tokens that occur in `text` (bit `i` for token `i`); only for sets of at most 64 tokens.
    func occurrences(in text: UnsafeBufferPointer<UInt8>) -> UInt64 {
        precondition(count <= 64, "a mask holds 64 tokens")
        var mask: UInt64 = 0
        forEachMatch(in: text) { token, _ in
            mask |= 1 << UInt64(token)
            return true
        }
        return mask
    }
}
