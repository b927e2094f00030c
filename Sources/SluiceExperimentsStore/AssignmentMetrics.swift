import Metrics

/// The assignments job's series on `/metrics` (when it runs inside `sluice serve`), per project and experiment:
///
/// - `sluice_experiment_assignments_total`: people put in a variation;
/// - `sluice_experiment_exposures_total`: assigned people whose first exposure was recorded;
/// - `sluice_experiment_exposure_mismatches_total{kind="other_variant"}`: assigned people exposed to another
///   variation than theirs; `{kind="unassigned"}`: people outside the experiment who sent an exposure.
///
/// Each person counts once per experiment version in each series, however often the job reads their events.
enum AssignmentMetrics {
    static func record(_ tally: AssignmentTally, projectID: Int64) {
        for (key, counts) in tally.experiments {
            let labels = [("project", String(projectID)), ("experiment", key)]
            increment("sluice_experiment_assignments_total", labels, by: counts.assigned)
            increment("sluice_experiment_exposures_total", labels, by: counts.exposed)
            increment(
                "sluice_experiment_exposure_mismatches_total", labels + [("kind", "other_variant")], by: counts.mismatched
            )
            increment(
                "sluice_experiment_exposure_mismatches_total", labels + [("kind", "unassigned")],
                by: counts.unassignedExposures
            )
        }
    }

    private static func increment(_ label: String, _ dimensions: [(String, String)], by amount: Int) {
        // Created even at 0, so the series shows from the first run.
        Counter(label: label, dimensions: dimensions).increment(by: amount)
    }
}
