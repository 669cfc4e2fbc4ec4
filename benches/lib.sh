# Shared helpers for the benchmark runners (sourced, not run).
# NETSCRIPT: the binary under test (default: the release build, built if missing).
set -euo pipefail
BENCH_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NETSCRIPT="${NETSCRIPT:-$BENCH_ROOT/target/release/netscript}"

ensure_netscript() {
    if [ ! -x "$NETSCRIPT" ]; then
        (cd "$BENCH_ROOT" && cargo build --release --quiet)
    fi
}

ensure_tool() { # ensure_tool COMMAND [DEBIAN_PACKAGE]
    command -v "$1" >/dev/null 2>&1 || {
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${2:-$1}" >/dev/null
    }
}

# median_ms JSON_FILE INDEX: the median of a hyperfine result, in milliseconds.
median_ms() {
    python3 -c "import json,sys; r=json.load(open(sys.argv[1]))['results'][int(sys.argv[2])]; print(f\"{r['median']*1000:.2f}\")" "$1" "$2"
}

machine() {
    echo "$(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -m), $(date -u +%Y-%m-%d)"
}
