#!/usr/bin/env bash
# Runs Sluice on this machine: installs what is missing, builds the release binary, and brings up the
# embedded default database (a PostgreSQL cluster under ./.sluice/postgres) with its schema, its daily
# partitions and a first project, whose keys it prints.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/ensure-deps.sh
swift build -c release --product sluice
sluice=.build/release/sluice

"$sluice" migrate
"$sluice" jobs run partitions
if [[ -z $("$sluice" projects list --json) ]]; then
    "$sluice" projects create "My site"
fi
"$sluice" projects list
echo
echo "Sluice is ready. Next: '$sluice --help'; your data lives in ./.sluice/postgres."
