import SluiceCore
import SluiceEnrichment
import SluiceSegment

extension SpoolSubmission {
    /// Enriches a decoded batch's events and encodes them as binary COPY tuples with their dedupe keys: what a
    /// request handler hands to the ring.
    ///
    /// Pure (no I/O, no shared state), so the fuzzer runs the same code the server does.
    ///
    /// - Parameters:
    ///   - batch: the accepted events of one request, in body order.
    ///   - projectID: the project the write key belongs to; written into every row and every key.
    ///   - clientAddress: the request's peer address, used when an event names none.
    ///   - headerCountry: the trusted country header's value, if one is configured and present.
    package static func encoding(
        _ batch: SegmentBatch, projectID: Int64, enricher: Enricher, clientAddress: InetAddress?,
        headerCountry: String?
    ) -> SpoolSubmission {
        var encoder = CopyEncoder(capacity: 512 * batch.events.count + 4096)
        var tupleEnds: [Int] = []
        var keys: [UInt64] = []
        tupleEnds.reserveCapacity(batch.events.count)
        keys.reserveCapacity(batch.events.count)
        for event in batch.events {
            var row = event.row
            row.projectID = projectID
            enricher.enrich(&row, hints: event.hints, clientAddress: clientAddress, headerCountry: headerCountry)
            encoder.append(row)
            tupleEnds.append(encoder.count)
            keys.append(DedupeWindow.key(projectID: projectID, messageID: row.messageID))
        }
        return SpoolSubmission(tuples: encoder.bytes, tupleEnds: tupleEnds, keys: keys)
    }
}
