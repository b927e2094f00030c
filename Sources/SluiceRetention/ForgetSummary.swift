/// The answer of `POST /v1/privacy/forget`: counts only (no id), as JSON.
public struct ForgetSummary: Sendable, Equatable {
    /// Ids erased: the one named and every id linked to it.
    public var ids: Int
    public var events: Int
    public var sessions: Int
    public var assignments: Int
    /// Rows of the other experiment tables (exposures outside an experiment, targeting traits).
    public var otherRows: Int
    public var bucketsRecomputed: Int
    /// Whether the rollups are recomputed already (false: the rollups job finishes it on its next run).
    public var rollupsRecomputed: Bool

    public init(
        ids: Int, events: Int, sessions: Int, assignments: Int, otherRows: Int, bucketsRecomputed: Int,
        rollupsRecomputed: Bool
    ) {
        self.ids = ids
        self.events = events
        self.sessions = sessions
        self.assignments = assignments
        self.otherRows = otherRows
        self.bucketsRecomputed = bucketsRecomputed
        self.rollupsRecomputed = rollupsRecomputed
    }

    /// `{"erased":{"ids":…,"events":…,"sessions":…,"assignments":…,"otherRows":…},
    /// "rollups":{"bucketsRecomputed":…,"pending":…}}`.
    public var json: String {
        #"{"erased":{"ids":\#(ids),"events":\#(events),"sessions":\#(sessions),"assignments":\#(assignments),"#
            + #""otherRows":\#(otherRows)},"rollups":{"bucketsRecomputed":\#(bucketsRecomputed),"#
            + #""pending":\#(!rollupsRecomputed)}}"#
    }
}
