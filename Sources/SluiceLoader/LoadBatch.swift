import SluiceCore
import SluiceSpool

/// The spool records of one load transaction, gathered into one binary `COPY` stream.
///
/// ``stream`` is the `COPY` header followed by the records' tuples back to back (and the trailer once
/// ``seal()`` has run), so the common case sends it to PostgreSQL as is, without another copy. The offset of
/// every tuple is kept so that a batch PostgreSQL refuses can be split into halves, down to single rows
/// (``stream(of:)``), and each row traced back to the spool record it came from.
struct LoadBatch {
    /// The checkpoint the batch starts after.
    let start: SpoolPosition
    /// The position just after the last record added: the checkpoint once the batch commits.
    private(set) var end: SpoolPosition
    /// Header and tuples; the trailer too after ``seal()``.
    private(set) var stream: [UInt8]
    /// The offset in ``stream`` of each tuple.
    private var tupleStarts: [Int] = []
    /// The offset in ``stream`` just after the last tuple.
    private var tuplesEnd: Int
    /// For each record added: the index of its first tuple and where the record starts in the spool.
    private var records: [(firstTuple: Int, start: SpoolPosition)] = []
    /// Record tails that are not tuples, to be stored as dead letters.
    private(set) var malformed: [DeadLetter] = []
    /// The UTC days of the rows' `timestamp`s (rows whose timestamp cannot be read are left out).
    private(set) var days: Set<CalendarDay> = []
    /// Runs of consecutive tuples with the same (project, hour): the index of each run's first tuple and
    /// its key, nil for tuples whose project or timestamp cannot be read. Rows arrive mostly in time order,
    /// so a batch has few runs; they give the hours to mark for the rows that actually loaded.
    private var hourRuns: [(firstTuple: Int, key: ProjectHour?)] = []
    /// The least `received_at` of the tuples added, nil while there is none.
    private var earliestReceipt: Timestamp?
    /// Whether a tuple's `received_at` could not be read.
    private var receiptUnknown = false

    /// A project's UTC hour, as the loader marks it in `sluice.event_marks`.
    struct ProjectHour: Hashable {
        var projectID: Int64
        var hour: UTCHour
    }

    /// The binary `COPY` header: signature, flags 0, no extension.
    static let header: [UInt8] = {
        var encoder = CopyEncoder(capacity: 32)
        encoder.writeHeader()
        return encoder.bytes
    }()
    /// The binary `COPY` trailer: a field count of −1.
    static let trailer: [UInt8] = [0xFF, 0xFF]

    /// An empty batch starting after `start`, gathered in the buffer `storage` hands over (emptied, its
    /// capacity kept); `storage` is left empty. ``takeStorage()`` gives the buffer back.
    init(start: SpoolPosition, reusing storage: inout [UInt8]) {
        self.start = start
        self.end = start
        // Swapped rather than copied, so the buffer stays uniquely referenced and is reused, not reallocated.
        var stream: [UInt8] = []
        swap(&stream, &storage)
        stream.removeAll(keepingCapacity: true)
        stream.append(contentsOf: Self.header)
        self.tuplesEnd = stream.count
        self.stream = stream
    }

    /// Spool records added.
    var recordCount: Int { records.count }
    /// Tuples added.
    var rowCount: Int { tupleStarts.count }
    /// Bytes of tuples added.
    var tupleBytes: Int { tuplesEnd - Self.header.count }
    /// Whether nothing was added.
    var isEmpty: Bool { records.isEmpty }

    /// Adds one spool record, the tuples `payload` holds, ending at spool position `end`.
    ///
    /// A non-empty batch takes the record only while it stays within `maxRows` and `maxBytes`; an empty one
    /// always takes it, so a record larger than the limits still loads (alone). Bytes that are not tuples
    /// (a record the writer damaged before it was checksummed) are kept as one dead letter, after the tuples
    /// in front of them.
    ///
    /// - Returns: false, with the batch unchanged, when the record does not fit.
    mutating func add(_ payload: [UInt8], end recordEnd: SpoolPosition, maxRows: Int, maxBytes: Int) -> Bool {
        precondition(stream.count == tuplesEnd, "a sealed batch takes no more records")
        var tuples = CopyTuples(payload)
        var starts: [Int] = []
        var failure: CopyTuples.FormatError?
        var recordDays: [CalendarDay] = []
        var recordRuns: [(firstTuple: Int, key: ProjectHour?)] = []
        var recordEarliestReceipt: Timestamp?
        var recordReceiptUnknown = false
        while true {
            let tuple: CopyTuples.Tuple
            do {
                guard let next = try tuples.next() else { break }
                tuple = next
            } catch {
                failure = error
                break
            }
            starts.append(tuple.range.lowerBound)
            // Rows usually arrive in time order, so comparing with the last day skips most set lookups.
            let timestamp = try? tuple.timestamp()
            if let timestamp {
                let day = CalendarDay(timestamp)
                if recordDays.last != day { recordDays.append(day) }
            }
            let key = timestamp.flatMap { time in
                ((try? tuple.projectID()) ?? nil).map { ProjectHour(projectID: $0, hour: UTCHour(time)) }
            }
            if recordRuns.isEmpty || recordRuns[recordRuns.count - 1].key != key {
                recordRuns.append((starts.count - 1, key))
            }
            if let received = (try? tuple.receivedAt()) ?? nil {
                if recordEarliestReceipt.map({ received < $0 }) ?? true { recordEarliestReceipt = received }
            } else {
                recordReceiptUnknown = true
            }
        }
        let validBytes = failure?.offset ?? payload.count
        if !isEmpty && (rowCount + starts.count > maxRows || tupleBytes + validBytes > maxBytes) {
            return false
        }

        // A record that ends in a later segment than its predecessor is the first of that segment: the
        // writer starts every segment with a record, and the reader returns them in order.
        let recordStart = recordEnd.segment == end.segment ? end : SpoolPosition(segment: recordEnd.segment, offset: 0)
        records.append((firstTuple: tupleStarts.count, start: recordStart))
        for run in recordRuns where hourRuns.last.map({ $0.key != run.key }) ?? true {
            hourRuns.append((tupleStarts.count + run.firstTuple, run.key))
        }
        let base = stream.count
        tupleStarts.append(contentsOf: starts.lazy.map { base + $0 })
        stream.append(contentsOf: payload[0..<validBytes])
        tuplesEnd = stream.count
        days.formUnion(recordDays)
        receiptUnknown = receiptUnknown || recordReceiptUnknown
        if let received = recordEarliestReceipt, earliestReceipt.map({ received < $0 }) ?? true {
            earliestReceipt = received
        }
        if let failure {
            malformed.append(
                DeadLetter(
                    projectID: nil, messageID: nil, error: "malformed spool record: \(failure)",
                    rowData: Array(payload[validBytes...]), spoolPosition: recordStart
                )
            )
        }
        end = recordEnd
        return true
    }

    /// The distinct (project, hour) of the tuples that loaded: every tuple but those in `failed` (indices
    /// of tuples refused and kept as dead letters).
    func loadedHours(failed: Set<Int>) -> [ProjectHour] {
        var hours: Set<ProjectHour> = []
        for (index, run) in hourRuns.enumerated() {
            guard let key = run.key, !hours.contains(key) else { continue }
            let end = index + 1 < hourRuns.count ? hourRuns[index + 1].firstTuple : tupleStarts.count
            if failed.isEmpty || (run.firstTuple..<end).contains(where: { !failed.contains($0) }) { hours.insert(key) }
        }
        return Array(hours)
    }

    /// The bound the batch's event marks carry (`sluice.event_marks.received_from`): the least `received_at`
    /// of its tuples, so every row it loads was received at or after it. Nil when a tuple's `received_at`
    /// cannot be read, or there are no tuples: then the marks stand for every row of their hours.
    var receivedFrom: Timestamp? { receiptUnknown ? nil : earliestReceipt }

    /// Appends the trailer, making ``stream`` a complete `COPY` stream of every tuple.
    mutating func seal() {
        if stream.count == tuplesEnd { stream.append(contentsOf: Self.trailer) }
    }

    /// The bytes of tuples `range` (indices from 0), without header or trailer.
    func tupleBytes(_ range: Range<Int>) -> ArraySlice<UInt8> {
        let from = tupleStarts[range.lowerBound]
        let to = range.upperBound < tupleStarts.count ? tupleStarts[range.upperBound] : tuplesEnd
        return stream[from..<to]
    }

    /// A complete `COPY` stream of tuples `range`: header, their bytes, trailer.
    func stream(of range: Range<Int>) -> [UInt8] {
        let tuples = tupleBytes(range)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Self.header.count + tuples.count + Self.trailer.count)
        bytes.append(contentsOf: Self.header)
        bytes.append(contentsOf: tuples)
        bytes.append(contentsOf: Self.trailer)
        return bytes
    }

    /// Where the spool record holding tuple `index` starts.
    func recordStart(ofTuple index: Int) -> SpoolPosition {
        // The last record whose first tuple is at or before `index` (records may hold no tuples).
        var low = 0
        var high = records.count
        while high - low > 1 {
            let middle = (low + high) / 2
            if records[middle].firstTuple <= index { low = middle } else { high = middle }
        }
        return records.isEmpty ? start : records[low].start
    }

    /// The dead letter for tuple `index`, refused with `error`.
    func deadLetter(tuple index: Int, error: String) -> DeadLetter {
        let bytes = tupleBytes(index..<index + 1)
        var walker = CopyTuples(stream, in: bytes.indices)
        let tuple = try? walker.next()
        return DeadLetter(
            projectID: (try? tuple?.projectID()) ?? nil,
            messageID: (try? tuple?.messageID()) ?? nil,
            error: error,
            rowData: Array(bytes),
            spoolPosition: recordStart(ofTuple: index)
        )
    }

    /// Gives the stream's buffer back for the next batch.
    consuming func takeStorage() -> [UInt8] { stream }
}
