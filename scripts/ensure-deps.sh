#!/usr/bin/env bash
# Installs what Sluice needs to build and run on Debian/Ubuntu, and nothing when it is all there already:
# libpq and libzstd headers, the PostgreSQL server (for the embedded default and the tests) and the hll
# extension. The Swift toolchain itself comes from swift.org. With --tests (scripts/test.sh), also what the tests
# need: Chromium, for the browser tests (run headless).
set -euo pipefail

packages=(libpq-dev libzstd-dev postgresql postgresql-15-hll)
case ${1:-} in
    --tests) packages+=(chromium) ;;
    "") ;;
    *) echo "sluice: error: unknown option $1; usage: scripts/ensure-deps.sh [--tests]" >&2; exit 64 ;;
esac

missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done

if ((${#missing[@]})); then
    echo "sluice: installing ${missing[*]}" >&2
    sudo=()
    if [[ $(id -u) -ne 0 ]]; then
        command -v sudo >/dev/null || { echo "sluice: error: run as root or install sudo to install ${missing[*]}" >&2; exit 1; }
        sudo=(sudo)
    fi
    export DEBIAN_FRONTEND=noninteractive
    if ! "${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}" >/tmp/sluice-apt.log 2>&1; then
        "${sudo[@]}" apt-get update >>/tmp/sluice-apt.log 2>&1
        "${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}" >>/tmp/sluice-apt.log 2>&1 || {
            echo "sluice: error: apt-get could not install ${missing[*]}; see /tmp/sluice-apt.log" >&2
            exit 1
        }
    fi
fi

if ! command -v swift >/dev/null; then
    echo "sluice: error: no Swift toolchain on PATH; install Swift 6.1 or newer from https://www.swift.org/install/linux/" >&2
    exit 1
fi
