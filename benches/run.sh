#!/usr/bin/env bash
# Runs every benchmark (each prints netscript against its peer, measured in the same run).
set -uo pipefail
cd "$(dirname "$0")"
for runner in */run.sh; do
    echo "=== ${runner%/run.sh}"
    bash "$runner" || echo "(${runner} failed)"
done
