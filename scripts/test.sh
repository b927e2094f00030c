#!/usr/bin/env bash
# The whole test suite: installs what is missing, then `swift test`. The tests start their own throwaway
# PostgreSQL cluster (initdb into a temporary directory, a free loopback port, fsync off) and stop and
# delete it when they finish; this script also stops any that a crashed run left behind.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/ensure-deps.sh --tests

# The ingest tests drive the server with Segment's official Python SDK.
if ! python3 -c "import segment.analytics" 2>/dev/null; then
    command -v python3 >/dev/null || { echo "sluice: error: python3 is needed for the SDK tests (apt-get install -y python3 python3-pip)" >&2; exit 1; }
    echo "sluice: installing segment-analytics-python for the SDK tests" >&2
    python3 -m pip install --quiet segment-analytics-python 2>/dev/null \
        || python3 -m pip install --quiet --break-system-packages segment-analytics-python
fi

# The experiment results tests compare with GrowthBook's own stats engine, in the version Sluice follows.
if ! python3 -c "import gbstats, importlib.metadata as m, sys; sys.exit(m.version('gbstats') != '0.8.0')" 2>/dev/null; then
    echo "sluice: installing gbstats 0.8.0 for the experiment results tests" >&2
    python3 -m pip install --quiet gbstats==0.8.0 2>/dev/null \
        || python3 -m pip install --quiet --break-system-packages gbstats==0.8.0
fi

stop_leftover_clusters() {
    local pgdata
    for pgdata in "${TMPDIR:-/tmp}"/sluice-test-*; do
        [[ -f "$pgdata/postmaster.pid" ]] || { [[ -d "$pgdata" ]] && rm -rf "$pgdata"; continue; }
        local pid
        pid=$(head -n 1 "$pgdata/postmaster.pid")
        # Only clusters whose test process is gone: the directory name carries that process's pid.
        local owner=${pgdata##*/sluice-test-}; owner=${owner%%-*}
        if ! kill -0 "$owner" 2>/dev/null; then
            kill -QUIT "$pid" 2>/dev/null || true
            rm -rf "$pgdata"
        fi
    done
}
trap stop_leftover_clusters EXIT

# Tests wait on events, never on time: the check first checks itself, then Tests/.
scripts/check-tests.sh --self-test
scripts/check-tests.sh

swift build --build-tests
swift test --skip-build "$@"

# The ring and the committer under Thread Sanitizer, in CI or when asked (SLUICE_TSAN=1).
if [[ ${CI:-} == true || ${SLUICE_TSAN:-} == 1 ]]; then
    scripts/tsan.sh
fi
