import SluiceCore

/// Which Tracking API endpoint a body was posted to, which decides its shape.
public enum SegmentCall: Sendable, Equatable {
    /// `/v1/batch`: `{"batch":[…], "context":{…}, "integrations":{…}, "sentAt":"…", "writeKey":"…"}`.
    case batch
    /// `/v1/track`, `/v1/page`, `/v1/screen`, `/v1/identify`, `/v1/group` or `/v1/alias`: the body is one event
    /// of this type. A `type` member in the body is ignored; the path decides.
    case single(EventType)
}
