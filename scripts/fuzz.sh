#!/usr/bin/env bash
# Fuzzes the request path or the spool reader with libFuzzer (see docs/fuzzing.md).
#
#   scripts/fuzz.sh request 30     # fuzz the request path for 30 minutes
#   scripts/fuzz.sh spool 30       # fuzz the spool segment reader and repair for 30 minutes
#   scripts/fuzz.sh ci             # the bounded form: each target for 60 s, starting from the committed corpus
#
# Builds the targets with -sanitize=fuzzer,address into .build-fuzz (its own scratch path, so the normal
# build is untouched), starts from the committed seeds in Fuzz/corpus/TARGET plus what earlier runs found
# (.build-fuzz/corpus/TARGET), and leaves any crashing input in .build-fuzz/findings/TARGET. Exits 1 if a
# finding was made: replay it with `swift run sluice-fuzz-TARGET FILE`, and turn it into a test.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { echo "usage: scripts/fuzz.sh request|spool MINUTES | scripts/fuzz.sh ci" >&2; exit 64; }

build() {
    # lld: SwiftPM links executables with `--defsym main=<module>_main`, which gold cannot combine with libFuzzer.
    swift build -c release --scratch-path .build-fuzz --product "sluice-fuzz-$1" \
        -Xswiftc -sanitize=fuzzer,address -Xswiftc -DSLUICE_FUZZ \
        -Xswiftc -Xclang-linker -Xswiftc -fuse-ld=lld >&2
}

run() {
    local target=$1 seconds=$2
    local work=.build-fuzz/corpus/$target findings=.build-fuzz/findings/$target
    mkdir -p "$work" "$findings"
    build "$target"
    echo "sluice: fuzzing $target for ${seconds}s (corpus $work, findings $findings)" >&2
    # -timeout: an input taking 10 s is a hang; -rss_limit_mb: growing past 2 GiB is unbounded allocation.
    .build-fuzz/release/"sluice-fuzz-$target" "$work" "Fuzz/corpus/$target" \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
        -artifact_prefix="$findings/" -print_final_stats=1
}

case "${1:-}" in
    request | spool)
        [[ "${2:-}" =~ ^[0-9]+$ && "$2" -gt 0 ]] || usage
        run "$1" $(($2 * 60))
        ;;
    ci)
        run request 60
        run spool 60
        ;;
    *) usage ;;
esac
