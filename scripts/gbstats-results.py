#!/usr/bin/env python3
"""Computes experiment results with GrowthBook's own stats engine (gbstats 0.8.0, frequentist), for comparison.

Usage: gbstats-results.py FIXTURES.json OUTPUT.json

FIXTURES.json holds {"fixtures": [{"weights": [...], "users": [...], "converters": [...]}, ...]}, one entry per
experiment, one number per variation (variation 0 is the control). Each goes through gbstats' full pipeline
for one binomial metric (`process_single_metric`, the path GrowthBook's back end takes), frequentist engine,
relative differences, alpha 0.05, no sequential testing. OUTPUT.json gets one entry per fixture:
{"srm": p, "variations": [{"users", "cr", "expected", "ci", "pValue", "stddev", "errorMessage"}, ...]}, where
`stddev` is the uplift's (gbstats' `uplift.stddev`) and the control has only `users` and `cr`. Non-finite numbers
are written as null. Used by the SluiceExperiments tests; needs `pip install gbstats==0.8.0` (scripts/test.sh).
"""
import json
import math
import sys
import warnings

warnings.simplefilter("ignore")

from gbstats.gbstats import process_single_metric  # noqa: E402
from gbstats.models.settings import (  # noqa: E402
    AnalysisSettingsForStatsEngine,
    MetricSettingsForStatsEngine,
)


def number(value):
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def analyse(fixture):
    count = len(fixture["users"])
    ids = [str(i) for i in range(count)]
    rows = [
        {
            "dimension": "All",
            "variation": ids[i],
            "users": fixture["users"][i],
            "count": fixture["users"][i],
            "main_sum": fixture["converters"][i],
            "main_sum_squares": fixture["converters"][i],
        }
        for i in range(count)
    ]
    metric = MetricSettingsForStatsEngine(
        id="goal", name="goal", statistic_type="mean", main_metric_type="binomial"
    )
    analysis = AnalysisSettingsForStatsEngine(
        var_names=ids,
        var_ids=ids,
        weights=fixture["weights"],
        stats_engine="frequentist",
        difference_type="relative",
        alpha=0.05,
    )
    result = process_single_metric(rows=rows, metric=metric, analyses=[analysis])
    dimension = result.analyses[0].dimensions[0]
    variations = []
    for index, variation in enumerate(dimension.variations):
        entry = {"users": int(variation.users), "cr": number(variation.cr)}
        if index > 0:
            entry.update(
                {
                    "expected": number(variation.expected),
                    "ci": [number(bound) for bound in variation.ci],
                    "pValue": number(variation.pValue),
                    "stddev": number(variation.uplift.stddev),
                    "errorMessage": variation.errorMessage,
                }
            )
        variations.append(entry)
    return {"srm": number(dimension.srm), "variations": variations}


def main():
    with open(sys.argv[1]) as source:
        fixtures = json.load(source)["fixtures"]
    results = [analyse(fixture) for fixture in fixtures]
    with open(sys.argv[2], "w") as output:
        json.dump(results, output)


if __name__ == "__main__":
    main()
