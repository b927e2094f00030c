#!/usr/bin/env bash
# Runs Sluice on this machine: installs what is missing, builds the release binary, brings up the embedded
# default database (a PostgreSQL cluster under ./.sluice/postgres) with its schema, daily partitions and a
# first project, prints that project's write key and how to send an event, then runs `sluice serve` in the
# foreground until Ctrl-C. Options after `scripts/run.sh` go to `sluice serve` (e.g. --port 9090).
# `scripts/run.sh demo [OPTIONS]` runs `sluice demo` instead: two demo sites with a few days of generated traffic,
# and their dashboard addresses (options as `sluice demo --help` lists them, e.g. --days 14).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/ensure-deps.sh
swift build -c release --product sluice
sluice=.build/release/sluice

if [[ ${1:-} == demo ]]; then
    shift
    exec "$sluice" demo "$@"
fi

"$sluice" migrate
"$sluice" jobs run partitions
if [[ -z $("$sluice" projects list --json) ]]; then
    "$sluice" projects create "My site"
fi
"$sluice" projects list
write_key=$("$sluice" projects list --json | head -n 1 | sed -E 's/.*"writeKey":"([^"]+)".*/\1/')
port=${SLUICE_PORT:-8080}
cat <<INFO

Sluice is starting on http://127.0.0.1:$port (Ctrl-C stops it; the data lives in ./.sluice).
Send an event with any Segment SDK pointed at that address, or:

  curl -u '$write_key:' -H 'Content-Type: application/json' http://127.0.0.1:$port/v1/track \\
       -d '{"userId":"user-1","event":"Signed Up","properties":{"plan":"pro"}}'

INFO
exec "$sluice" serve "$@"
