#!/usr/bin/env bash
# The lock-free ring (BoundedQueueTests) and the spool committer (SpoolCommitterTests: many producers
# submitting while the committer thread drains, fsyncs and acknowledges) under Thread Sanitizer.
#
# Builds into its own scratch path, .build-tsan, so the instrumented build never mixes with .build, and runs
# only those two suites. Each step is bounded by `timeout` (SLUICE_TSAN_BUILD_TIMEOUT, SLUICE_TSAN_TEST_TIMEOUT,
# in seconds): a hang ends the job instead of stalling CI. A data race TSan reports fails the run (exit 66).
#
# Run by scripts/test.sh when CI=true or SLUICE_TSAN=1, or on its own: scripts/tsan.sh
set -euo pipefail
cd "$(dirname "$0")/.."

build_limit=${SLUICE_TSAN_BUILD_TIMEOUT:-3600}
test_limit=${SLUICE_TSAN_TEST_TIMEOUT:-1200}
suites='BoundedQueueTests|SpoolCommitterTests'
scratch=(--sanitize=thread --scratch-path .build-tsan)

bounded() {
    local limit=$1 what=$2
    shift 2
    local status=0
    timeout --kill-after=30 "$limit" "$@" || status=$?
    if ((status == 124 || status == 137)); then
        echo "sluice: error: Thread Sanitizer $what hung past ${limit} s; see the output above" >&2
    elif ((status != 0)); then
        echo "sluice: error: Thread Sanitizer $what failed (exit $status); a race report above names both threads" >&2
    fi
    return $status
}

# Only the test bundle: the `sluice` executable (about 100 s more under TSan here) is not needed.
echo "sluice: Thread Sanitizer: building the tests into .build-tsan" >&2
bounded "$build_limit" build swift build --product sluicePackageTests "${scratch[@]}"
echo "sluice: Thread Sanitizer: running $suites" >&2
TSAN_OPTIONS=${TSAN_OPTIONS:-second_deadlock_stack=1} \
    bounded "$test_limit" run swift test --skip-build "${scratch[@]}" --filter "$suites"
