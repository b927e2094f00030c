#!/usr/bin/env bash
# Fails when a test bets on time: an expectation on an elapsed time or a duration, a time limit written into a
# wait (after a `timeout:` label, or as a deadline a literal duration from now: `until: .now + .seconds(60)`,
# `ContinuousClock.now + .seconds(120)`, `.now() + 60`), a sleep standing in for an event. Tests wait on the
# event itself (a condition, a log line, a metric, a row) through the hang guard of Tests/SluiceHangGuard
# (`HangGuard.wait(for:until:)`, `HangGuard.bounded`, `HangGuard.limit`): minutes, failing with "hung", never
# "slow". Speed is for the benchmarks in Benchmarks/.
#
# Usage: scripts/check-tests.sh [PATH...]    (default: Tests; directories are searched for *.swift)
#        scripts/check-tests.sh --self-test  (checks the check against scripts/check-tests-fixtures)
#
# A line that must use time for another reason (pacing a load generator, say) carries the marker
# `// allow-timing: <why>` with the reason; a marker without a reason does not count.
# Exit status: 0 when nothing is found, 1 when something is, 64 for bad usage.
set -euo pipefail
cd "$(dirname "$0")/.."

# The hang guard itself is the one place allowed to read the clock.
exempt_path='^Tests/SluiceHangGuard/'

units='(seconds|milliseconds|microseconds|nanoseconds)'
# A clock's present instant: `.now` (ContinuousClock, SuspendingClock, a clock value), `.now()` (DispatchTime).
now='\.now(\(\))?'
rules=(
    '[Ee]lapsed|measures elapsed time; wait on the event, and leave speed to the benchmarks'
    '\.measure[[:space:]]*[({]|times a block; wait on the event, and leave speed to the benchmarks'
    "[<>]=?[[:space:]]*(Duration)?\.${units}\(|compares with a duration; wait on the event with HangGuard"
    "\.${units}\([^)]*\)[[:space:]]*[<>]|compares with a duration; wait on the event with HangGuard"
    '#(expect|require).*(ContinuousClock|SuspendingClock|DispatchTime|DispatchWallTime|Date\(\)|timeIntervalSince|uptimeNanoseconds|clock_gettime|Date\.now|\.now\(\))|expects something of the clock; wait on the event with HangGuard'
    "${now}[[:space:]]*\+[[:space:]]*(Duration|DispatchTimeInterval)?\.${units}\(|sets a deadline a literal duration from now; wait on the event with HangGuard (or bound the wait with .now + HangGuard.limit)"
    "(${now}|Date\(\))[[:space:]]*\+[[:space:]]*[0-9]|sets a deadline a literal number of seconds from now; wait on the event with HangGuard (or bound the wait with .now() + HangGuard.limitInSeconds)"
    "${now}\.advanced\(by:[[:space:]]*((Duration)?\.${units}\(|[0-9])|sets a deadline a literal duration from now; wait on the event with HangGuard (or bound the wait with .now + HangGuard.limit)"
    '(timeIntervalSinceNow:|(Date\(\)|Date\.now)\.addingTimeInterval\()[[:space:]]*[0-9]|sets a wall-clock deadline a literal time from now; wait on the event with HangGuard (or bound the wait with HangGuard.limitInSeconds)'
    "(timeout|deadline|within|waitSeconds|drainFor)[[:space:]]*:[[:space:]]*(\.${units}\(|[0-9])|writes a time limit into a wait; pass HangGuard.limit (or .zero to check without waiting)"
    '(Task\.sleep|Thread\.sleep|[^A-Za-z_.]usleep|[^A-Za-z_.]nanosleep|[^A-Za-z_.]sleep)[[:space:]]*\(|sleeps instead of waiting on an event; use HangGuard.wait(for:until:)'
)

check() {
    local found=0 file number line rule pattern message
    while IFS= read -r file; do
        [[ $file =~ $exempt_path ]] && continue
        number=0
        while IFS= read -r line || [[ -n $line ]]; do
            number=$((number + 1))
            # Comments say what they like; a marked line must give its reason.
            [[ $line =~ ^[[:space:]]*// ]] && continue
            [[ $line =~ //[[:space:]]*allow-timing:[[:space:]]*[^[:space:]] ]] && continue
            for rule in "${rules[@]}"; do
                pattern=${rule%|*}
                message=${rule##*|}
                if [[ ${line%%// *} =~ $pattern ]]; then
                    echo "$file:$number: a test $message" >&2
                    echo "    ${line#"${line%%[![:space:]]*}"}" >&2
                    found=1
                    break
                fi
            done
        done <"$file"
    done < <(find "$@" -name '*.swift' -type f | sort)
    return $found
}

if [[ ${1:-} == --self-test ]]; then
    fixtures=scripts/check-tests-fixtures
    failed=0
    log=$(mktemp)
    trap 'rm -f "$log"' EXIT
    for file in "$fixtures"/rejected/*.swift; do
        if check "$file" 2>/dev/null; then
            echo "check-tests self-test: $file should be rejected but passed" >&2
            failed=1
        fi
    done
    if ! check "$fixtures"/accepted 2>"$log"; then
        echo "check-tests self-test: scripts/check-tests-fixtures/accepted should pass:" >&2
        cat "$log" >&2
        failed=1
    fi
    ((failed == 0)) && echo "check-tests self-test: $(ls "$fixtures"/rejected/*.swift | wc -l) rejected, accepted passes" >&2
    exit $failed
fi
if [[ ${1:-} == -* ]]; then
    echo "usage: scripts/check-tests.sh [PATH...] | --self-test" >&2
    exit 64
fi

if ! check "${@:-Tests}"; then
    echo "sluice: error: tests must not bet on time; wait on the event with HangGuard (Tests/SluiceHangGuard) or mark a line '// allow-timing: <why>'" >&2
    exit 1
fi
