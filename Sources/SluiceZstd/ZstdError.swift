// SluiceZstd: safe Swift wrappers over libzstd (the only module that imports CZstd).

import CZstd

/// An error from compressing or decompressing zstd data.
///
/// Match on ``code`` to decide what to do (for example `.sizeLimitExceeded` becomes HTTP 413 and
/// `.corrupt` or `.truncated` become 400); ``description`` is one line meant for a log or a user.
public struct ZstdError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of failure happened.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case invalidParameter
            case compression
            case decompression
            case corrupt
            case sizeLimitExceeded
            case truncated
        }

        private let base: Base

        private init(_ base: Base) {
            self.base = base
        }

        /// A parameter was out of range, such as a compression level libzstd does not support.
        public static let invalidParameter = Code(.invalidParameter)
        /// libzstd failed to compress, for example because a pledged size did not match the input.
        public static let compression = Code(.compression)
        /// libzstd failed to set up decompression, for example when out of memory.
        public static let decompression = Code(.decompression)
        /// The input is not valid zstd data, or a frame's checksum does not match its content.
        public static let corrupt = Code(.corrupt)
        /// The decompressed data would be larger than the caller's limit, or a frame needs a larger
        /// window than the decompressor allows.
        public static let sizeLimitExceeded = Code(.sizeLimitExceeded)
        /// The input ended in the middle of a frame, or held no frame at all.
        public static let truncated = Code(.truncated)

        public var description: String {
            switch base {
            case .invalidParameter: "invalid parameter"
            case .compression: "compression failed"
            case .decompression: "decompression failed"
            case .corrupt: "corrupt input"
            case .sizeLimitExceeded: "size limit exceeded"
            case .truncated: "truncated input"
            }
        }
    }

    /// What kind of failure happened.
    public var code: Code
    /// What went wrong, in the terms of the call that failed.
    public var message: String
    /// libzstd's own text for the failure (`ZSTD_getErrorName`), when libzstd reported it.
    public var zstdErrorName: String?

    init(_ code: Code, _ message: String, zstdErrorName: String? = nil) {
        self.code = code
        self.message = message
        self.zstdErrorName = zstdErrorName
    }

    /// One line, for example `corrupt input: frame failed to decode (zstd: Restored data doesn't match checksum)`.
    public var description: String {
        var line = "\(code): \(message)"
        if let zstdErrorName {
            line += " (zstd: \(zstdErrorName))"
        }
        return line
    }
}

extension ZstdError {
    /// Wraps a libzstd error result, carrying libzstd's name for it.
    ///
    /// - Precondition: `ZSTD_isError(result)` is true.
    init(_ code: Code, _ message: String, zstdResult result: Int) {
        self.init(code, message, zstdErrorName: String(cString: ZSTD_getErrorName(result)))
    }
}

/// A `size_t` result of a libzstd call: a byte count or hint, or an error code.
struct ZstdResult {
    /// The raw result, as libzstd returned it.
    let rawValue: Int

    init(_ rawValue: Int) {
        self.rawValue = rawValue
    }

    var isError: Bool {
        ZSTD_isError(rawValue) != 0
    }

    /// Whether the error is `ZSTD_error_frameParameter_windowTooLarge`: the frame asks for a larger
    /// window than `ZSTD_d_windowLogMax` allows.
    var isWindowTooLarge: Bool {
        isError && ZSTD_getErrorCode(rawValue) == ZSTD_error_frameParameter_windowTooLarge
    }

    /// Returns the result as a count, or throws `code` with libzstd's name for the error.
    func get(_ code: ZstdError.Code, _ message: @autoclosure () -> String) throws(ZstdError) -> Int {
        if isError {
            throw ZstdError(code, message(), zstdResult: rawValue)
        }
        return rawValue
    }
}
