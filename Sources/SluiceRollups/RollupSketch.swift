/// The HyperLogLog parameters of every `visitors` column (postgresql-hll's `hll(log2m, regwidth)`).
///
/// 2^14 registers of 5 bits: a relative standard error of 1.04 / √16384 ≈ 0.8% once a sketch is dense (so
/// well inside 2% for any range), about 10 KB at most per sketch, and exact (an explicit list of hashes)
/// while a bucket has fewer than about 1,280 distinct persons, which most hourly and per-value buckets do.
/// Sketches only union with sketches of the same parameters; the columns' type modifier enforces them.
public enum RollupSketch {
    public static let log2m = 14
    public static let regwidth = 5

    /// The SQL type of a sketch column, `hll(14, 5)`.
    public static var sqlType: String { "hll(\(log2m), \(regwidth))" }

    /// The aggregate that sketches the persons of `expression` (text), as SQL.
    public static func aggregate(_ expression: String) -> String {
        "hll_add_agg(hll_hash_text(\(expression)), \(log2m), \(regwidth))"
    }

    /// An empty sketch, as SQL.
    public static var empty: String { "hll_empty(\(log2m), \(regwidth))" }
}

/// The measure columns every rollup table has, in their order: the sketch of visitors, then the sums.
public enum RollupMeasures {
    public static let columns = "visitors, pageviews, events, visits, bounces, duration_us, visit_pageviews"
}
