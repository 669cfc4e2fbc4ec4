#!/usr/bin/env bash
# Runs the addr benchmark in netscript and in Python's netaddr and prints python/netscript.
#
#   benches/addr/run.sh                 # uses target/release/netscript (cargo build --release)
#   NETSCRIPT=/path/to/netscript benches/addr/run.sh
#
# Without a netscript binary it falls back to the addr-only runner
# (cargo run --release -p netscript-addr --example run_rhai). Uses hyperfine when it is
# installed (or installable with apt-get as root), plain wall-clock timing otherwise.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
runs="${RUNS:-3}"
python="${PYTHON:-python3}"

if ! "$python" -c 'import netaddr' 2>/dev/null; then
    echo "netaddr is missing: pip install netaddr" >&2
    exit 1
fi

netscript="${NETSCRIPT:-$root/target/release/netscript}"
if [[ -x "$netscript" ]]; then
    ns_cmd="$netscript $here/addr_bench.rhai"
else
    echo "no netscript binary at $netscript; using the addr-only example runner" >&2
    (cd "$root" && cargo build --release -q -p netscript-addr --example run_rhai)
    ns_cmd="$root/target/release/examples/run_rhai $here/addr_bench.rhai"
fi
py_cmd="$python $here/addr_bench.py"

# Same work on both sides: the checksum lines must agree.
ns_out="$($ns_cmd)"
py_out="$($py_cmd)"
echo "netscript: $ns_out"
echo "python:    $py_out"
if [[ "$ns_out" != "$py_out" ]]; then
    echo "checksums differ: the two benchmarks did not do the same work" >&2
    exit 1
fi

if ! command -v hyperfine >/dev/null && [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
    apt-get install -y -qq hyperfine >/dev/null 2>&1 || true
fi

if command -v hyperfine >/dev/null; then
    json="$(mktemp)"
    trap 'rm -f "$json"' EXIT
    hyperfine --warmup 1 --runs "$runs" --export-json "$json" -n netscript "$ns_cmd" -n python "$py_cmd"
    "$python" - "$json" <<'PY'
import json, sys
r = {x["command"]: x["mean"] for x in json.load(open(sys.argv[1]))["results"]}
print(f"netscript {r['netscript']:.2f} s, python/netaddr {r['python']:.2f} s: "
      f"netscript is {r['python'] / r['netscript']:.1f}x faster")
PY
else
    best() {  # best wall-clock seconds of $runs runs
        local best=""
        for _ in $(seq "$runs"); do
            local t0 t1
            t0=$(date +%s.%N); $1 >/dev/null; t1=$(date +%s.%N)
            best=$(echo "$t0 $t1 $best" | awk '{d=$2-$1; if ($3=="" || d<$3) print d; else print $3}')
        done
        echo "$best"
    }
    ns=$(best "$ns_cmd")
    py=$(best "$py_cmd")
    awk -v n="$ns" -v p="$py" 'BEGIN { printf "netscript %.2f s, python/netaddr %.2f s: netscript is %.1fx faster\n", n, p, p/n }'
fi
