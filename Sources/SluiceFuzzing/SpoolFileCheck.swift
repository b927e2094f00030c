import Foundation
import SluiceSpool

/// The spool's read side over arbitrary bytes as a segment file: ``SpoolReader`` (what the loader and the
/// dedupe rebuild run) and ``SpoolRecovery`` (start-up repair), checked for what must hold whatever is on disk.
///
/// Each must return records, nil or a ``SpoolError`` of a documented code, never crash, loop or read out of
/// bounds; and repair and reading must agree: the reader stops cleanly exactly where repair cuts, and a
/// repaired segment reads back the records repair counted, then ends.
///
/// The input's first byte chooses the layout: with bit 0 set, an empty later segment follows (a torn record is
/// then corruption, not the live end); the rest is the segment's bytes. Files go to a private directory under
/// `/dev/shm` (else the temporary directory), rewritten for each input. Not thread-safe: one check at a time.
package final class SpoolFileCheck {
    /// The loader's default limit on one record's decompressed size.
    static let maximumBatchBytes = 64 << 20
    private let directory: String

    package init() throws {
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        directory = base + "/sluice-fuzz-spool-\(getpid())-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Checks one input; returns the records the reader returned.
    ///
    /// - Throws: ``FuzzFinding`` when an invariant breaks (a file the check cannot write is reported as one too).
    @discardableResult
    package func run(_ input: [UInt8]) throws(FuzzFinding) -> Int {
        let successor = (input.first ?? 0) & 1 == 1
        let segment = Array(input.dropFirst())
        try lay(segment, successor: successor)
        let read = try readAll(size: UInt64(segment.count))
        if !successor {
            try lay(segment, successor: false)
            try checkRepair(of: segment, reader: read)
        }
        return read.records
    }

    /// What a reader from the start found.
    struct ReadOutcome {
        var records = 0
        var end = SpoolPosition.start
        var error: SpoolError?
    }

    private static let first = SpoolSegment(number: 1)
    private static let second = SpoolSegment(number: 2)

    private func lay(_ bytes: [UInt8], successor: Bool) throws(FuzzFinding) {
        for segment in [Self.first, Self.second] { unlink(segment.path(in: directory)) }
        guard FileManager.default.createFile(atPath: Self.first.path(in: directory), contents: Data(bytes)),
            !successor || FileManager.default.createFile(atPath: Self.second.path(in: directory), contents: Data())
        else {
            throw FuzzFinding("spool.setup", "cannot write the segment files in \(directory)")
        }
    }

    private func readAll(size: UInt64) throws(FuzzFinding) -> ReadOutcome {
        var outcome = ReadOutcome()
        let reader: SpoolReader
        do {
            reader = try SpoolReader(directory: directory, from: .start, maximumBatchBytes: Self.maximumBatchBytes)
        } catch {
            throw FuzzFinding("spool.read", "cannot open a reader: \(error)")
        }
        // Every record takes at least a 16-byte header, so more calls than this means the reader loops.
        let limit = Int(size / 16) + 3
        for _ in 0..<limit {
            let next: (payload: [UInt8], end: SpoolPosition)?
            do {
                next = try reader.next()
            } catch {
                guard error.code == .corruptRecord || error.code == .recordTooLarge else {
                    throw FuzzFinding("spool.read", "unexpected error \(error)")
                }
                outcome.error = error
                return outcome
            }
            guard let next else { return outcome }
            guard next.end > outcome.end, next.end.segment != Self.first.number || next.end.offset <= size else {
                throw FuzzFinding("spool.read", "record ends at \(next.end), after \(outcome.end) in \(size) bytes")
            }
            outcome.records += 1
            outcome.end = next.end
        }
        throw FuzzFinding("spool.read", "the reader returned more than \(limit) records from \(size) bytes")
    }

    private func checkRepair(of segment: [UInt8], reader: ReadOutcome) throws(FuzzFinding) {
        let report: SpoolRecovery.RecoveryReport
        do {
            report = try SpoolRecovery.repair(directory: directory)
        } catch {
            guard error.code == .corruptRecord else { throw FuzzFinding("spool.repair", "unexpected error \(error)") }
            // Damage before an intact record: refused by default, cut when the operator accepts the loss.
            try lay(segment, successor: false)
            do {
                let forced = try SpoolRecovery.repair(directory: directory, discardingIntactRecords: true)
                guard forced.discardedIntactRecords > 0 else {
                    throw FuzzFinding("spool.repair", "refused to cut, but discarding found no intact record after")
                }
                try checkRepaired(forced, originalSize: UInt64(segment.count))
            } catch let finding as FuzzFinding {
                throw finding
            } catch {
                throw FuzzFinding("spool.repair", "discardingIntactRecords still failed: \(error)")
            }
            return
        }
        if reader.error == nil {
            // The reader stops with nil only at a torn record: exactly where repair cuts.
            guard report.records == reader.records, report.validBytes == reader.end.offset
            else {
                throw FuzzFinding(
                    "spool.repair",
                    "repair kept \(report.records) records (\(report.validBytes) bytes); the reader read \(reader.records) "
                        + "to \(reader.end)"
                )
            }
        }
        try checkRepaired(report, originalSize: UInt64(segment.count))
    }

    /// After a repair the segment is its intact records: the reader returns them (or fails on one whose CRC holds
    /// but whose zstd frame does not decode), then nil, never a torn-record nil in between.
    private func checkRepaired(_ report: SpoolRecovery.RecoveryReport, originalSize: UInt64) throws(FuzzFinding) {
        let size = (try? FileManager.default.attributesOfItem(atPath: Self.first.path(in: directory))[.size])
            .flatMap { $0 as? NSNumber }?.uint64Value
        guard size == report.validBytes, report.validBytes + report.truncatedBytes == originalSize else {
            throw FuzzFinding(
                "spool.repair", "report says \(report.validBytes)+\(report.truncatedBytes) bytes, the file has \(size ?? 0)"
            )
        }
        let again = try readAll(size: report.validBytes)
        if again.error == nil {
            guard again.records == report.records, again.end.offset == report.validBytes else {
                throw FuzzFinding(
                    "spool.repair", "the repaired segment reads \(again.records) records to \(again.end), "
                        + "repair counted \(report.records) to \(report.validBytes)"
                )
            }
        } else if again.records >= report.records {
            throw FuzzFinding("spool.repair", "the repaired segment fails after its last record: \(again.error!)")
        }
    }
}
