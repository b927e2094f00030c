import SluiceCore
import SluiceLoader
import SluiceSpool

extension DuplicateFilter {
    /// A filter dropping, from the records before `end`, the events whose dedupe key is in `keys`; nil when
    /// `keys` is empty (nothing to drop).
    static func dropping(_ keys: Set<UInt64>, before end: SpoolPosition) -> DuplicateFilter? {
        guard !keys.isEmpty else { return nil }
        return DuplicateFilter(end: end) { tuple in
            guard let project = try? tuple.projectID(), let message = try? tuple.messageID() else { return false }
            return keys.contains(DedupeWindow.key(projectID: project, messageID: message))
        }
    }
}
