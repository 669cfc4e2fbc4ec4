#!/usr/bin/env bash
# The dns benchmark: COUNT (10,000) A questions to one local BIND 9, in this same run:
#   netscript  parallel(0..COUNT, |i| r.resolve(`h${i % 1000}.bench.test`, "A"), #{ limit: 64 })
#              with one shared dns::resolver (resolve.rhai "resolver"), and again with
#              dns::resolve(name, "A", #{ nameserver }) in each closure ("function"), and
#              r.query(name, "A") (the plugin's own one-message path, "query"; reported only);
#   dnspython  Resolver(configure=False).resolve in a loop over the same names (resolve.py,
#              Debian's python3-dnspython under /usr/bin/python3);
#   dnsperf    the same COUNT names from a query file, at a few outstanding-query limits
#              (-q); the best median is the ceiling.
# Targets: netscript >= 10x dnspython, >= 0.5x dnsperf; netscript's peak RSS is reported.
# netscript and dnspython time their own loop (start-up excluded); dnsperf reports its own.
# The runs are interleaved RUNS times (default 3) and the medians compared.
# named runs as tests/common/mod.rs's Bind does (`named -f -u root -c conf`, no control
# channel, recursion off), on a free port of 127.0.0.1, with no rate-limit clause (BIND has
# no response rate limiting unless configured); it is stopped by PID at the end.
#   COUNT=10000 LIMIT=64 RUNS=3 DNSPERF_Q="20 64 100" NETSCRIPT=path
source "$(dirname "$0")/../lib.sh"
here="$(cd "$(dirname "$0")" && pwd)"
COUNT="${COUNT:-10000}"
LIMIT="${LIMIT:-64}"
RUNS="${RUNS:-3}"
DNSPERF_Q="${DNSPERF_Q:-20 64 100}"
PY=/usr/bin/python3

# ensure_pkg CHECK PACKAGE: apt-get install PACKAGE when the command CHECK fails.
ensure_pkg() {
    sh -c "$1" >/dev/null 2>&1 || {
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
    }
}
ensure_netscript
ensure_tool named bind9
ensure_tool dnsperf
ensure_pkg "$PY -c 'import dns.resolver'" python3-dnspython
ensure_pkg "test -x /usr/bin/time" time

work="$(mktemp -d /tmp/ns-bench-dns.XXXXXX)"
named_pid=""
cleanup() {
    if [ -n "$named_pid" ]; then
        kill -TERM "$named_pid" 2>/dev/null && wait "$named_pid" 2>/dev/null
    fi
    rm -rf "$work"
}
trap cleanup EXIT

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
verdict() { awk -v a="$1" -v b="$2" 'BEGIN { print (a >= b) ? "OK" : "BELOW TARGET" }'; }
# named's user + system CPU seconds so far.
named_cpu() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$named_pid/stat"; }

echo "machine: $(machine); $(named -v); dnsperf $(dnsperf -h 2>&1 | awk '/^Version/ {print $2}'); dnspython $("$PY" -c 'import dns.version; print(dns.version.version)')"

# The zone: h0 … h999 A 10.0.N/256.N%256.
{
    printf '$TTL 300\n@ IN SOA ns1.bench.test. hostmaster.bench.test. 1 3600 900 604800 60\n'
    printf '@ IN NS ns1.bench.test.\nns1 IN A 127.0.0.1\n'
    for i in $(seq 0 999); do echo "h$i IN A 10.0.$((i / 256)).$((i % 256))"; done
} > "$work/bench.test.zone"
for i in $(seq 0 $((COUNT - 1))); do echo "h$((i % 1000)).bench.test A"; done > "$work/queries.txt"

# start_named PORT: named on 127.0.0.1:PORT, ready when it accepts TCP (it binds UDP and
# TCP together); fails when it exits first or is not ready in 15 s.
start_named() {
    local port=$1
    cat > "$work/named.conf" <<EOF
options { directory "$work"; pid-file "$work/named.pid"; listen-on port $port { 127.0.0.1; };
  listen-on-v6 { none; }; recursion no; empty-zones-enable no; dnssec-validation no;
  notify no; minimal-responses no; };
controls { };
zone "bench.test" { type primary; file "$work/bench.test.zone"; };
EOF
    named -f -u root -c "$work/named.conf" >"$work/named.log" 2>&1 &
    named_pid=$!
    for _ in $(seq 750); do
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
        kill -0 "$named_pid" 2>/dev/null || break
        sleep 0.02
    done
    kill -TERM "$named_pid" 2>/dev/null; wait "$named_pid" 2>/dev/null
    named_pid=""
    return 1
}
port=""
for _ in 1 2 3 4 5; do
    p="$(free_port)"
    if start_named "$p"; then port=$p; break; fi
done
[ -n "$port" ] || { echo "named did not start: $(cat "$work/named.log")" >&2; exit 1; }
echo "named (pid $named_pid) on 127.0.0.1:$port, zone bench.test: 1000 A records; $COUNT queries, limit $LIMIT, $RUNS runs"

# Each run_* leaves queries/s in QPS (and ns_* RSS in KB, CPU seconds in CPU).
run_ns() { # run_ns MODE
    /usr/bin/time -v -o "$work/time.txt" "$NETSCRIPT" "$here/resolve.rhai" "127.0.0.1:$port" "$1" "$COUNT" "$LIMIT" \
        >"$work/ns.out" 2>"$work/ns.err" || { echo "netscript $1 failed: $(cat "$work/ns.err")" >&2; exit 1; }
    QPS=$(awk '{ printf "%.0f", $3 }' "$work/ns.out")
    RSS=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$work/time.txt")
    CPU=$(awk -F': ' '/User time/ { u = $2 } /System time/ { s = $2 } END { printf "%.2f", u + s }' "$work/time.txt")
}
run_py() {
    "$PY" "$here/resolve.py" "$port" "$COUNT" >"$work/py.out" 2>"$work/py.err" \
        || { echo "dnspython failed: $(cat "$work/py.err")" >&2; exit 1; }
    QPS=$(awk '{ printf "%.0f", $3 }' "$work/py.out")
}
run_dnsperf() { # run_dnsperf MAX_OUTSTANDING
    dnsperf -s 127.0.0.1 -p "$port" -d "$work/queries.txt" -n 1 -q "$1" >"$work/dnsperf.out" 2>&1
    local completed; completed=$(awk '/Queries completed/ { print $3 }' "$work/dnsperf.out")
    [ "$completed" = "$COUNT" ] || echo "  (dnsperf -q $1: $completed of $COUNT completed)" >&2
    QPS=$(awk '/Queries per second/ { printf "%.0f", $4 }' "$work/dnsperf.out")
}

run_dnsperf 64 # warm-up
ns_r=(); ns_f=(); ns_q=(); py=(); rss=(); rss_o=(); nscpu_r=(); nscpu_f=(); nscpu_q=(); namedcpu_r=(); namedcpu_py=()
declare -A perf
for run in $(seq "$RUNS"); do
    c0=$(named_cpu); run_ns resolver; c1=$(named_cpu)
    ns_r+=("$QPS"); rss+=("$RSS"); nscpu_r+=("$CPU"); namedcpu_r+=("$(awk -v a="$c0" -v b="$c1" 'BEGIN { print b - a }')")
    run_ns function; ns_f+=("$QPS"); rss_o+=("$RSS"); nscpu_f+=("$CPU")
    run_ns query; ns_q+=("$QPS"); rss_o+=("$RSS"); nscpu_q+=("$CPU")
    c0=$(named_cpu); run_py; c1=$(named_cpu)
    py+=("$QPS"); namedcpu_py+=("$(awk -v a="$c0" -v b="$c1" 'BEGIN { print b - a }')")
    line="run $run: netscript resolver ${ns_r[-1]}/s, dns::resolve ${ns_f[-1]}/s, r.query ${ns_q[-1]}/s, dnspython ${py[-1]}/s, dnsperf"
    for q in $DNSPERF_Q; do run_dnsperf "$q"; perf[$q]+="$QPS "; line+=" -q$q $QPS"; done
    echo "$line"
done

ns=$(median "${ns_r[@]}"); nsf=$(median "${ns_f[@]}"); nsq=$(median "${ns_q[@]}"); pyq=$(median "${py[@]}")
best=0; best_q=""
for q in $DNSPERF_Q; do
    # shellcheck disable=SC2086
    m=$(median ${perf[$q]}); printf -v "perf_$q" '%s' "$m"
    if awk -v a="$m" -v b="$best" 'BEGIN { exit !(a > b) }'; then best=$m; best_q=$q; fi
done
rss_med=$(median "${rss[@]}"); rss_max=$(printf '%s\n' "${rss[@]}" | sort -g | tail -1)
rss_o_max=$(printf '%s\n' "${rss_o[@]}" | sort -g | tail -1)
per1000() { awk -v c="$1" -v n="$COUNT" 'BEGIN { printf "%.1f", c * 1000000 / n }'; }

echo "medians of $RUNS runs:"
printf '%-58s %10s q/s\n' "netscript parallel, shared dns::resolver, limit $LIMIT" "$ns"
printf '%-58s %10s q/s\n' "netscript parallel, dns::resolve(..., #{ nameserver })" "$nsf"
printf '%-58s %10s q/s\n' "netscript parallel, r.query (one message, no resolver)" "$nsq"
printf '%-58s %10s q/s\n' "dnspython Resolver.resolve loop" "$pyq"
for q in $DNSPERF_Q; do v="perf_$q"; printf '%-58s %10s q/s\n' "dnsperf -q $q" "${!v}"; done
echo "netscript peak RSS (resolver runs): median $((rss_med / 1024)) MB, max $((rss_max / 1024)) MB ($rss_max KB); dns::resolve / r.query runs: max $((rss_o_max / 1024)) MB"
echo "CPU per 1000 queries: netscript resolver $(per1000 "$(median "${nscpu_r[@]}")") ms, dns::resolve $(per1000 "$(median "${nscpu_f[@]}")") ms, r.query $(per1000 "$(median "${nscpu_q[@]}")") ms (whole process, user + system); named $(per1000 "$(median "${namedcpu_r[@]}")") ms during netscript, $(per1000 "$(median "${namedcpu_py[@]}")") ms during dnspython"
r=$(ratio "$ns" "$pyq"); echo "netscript / dnspython: ${r}x (target >= 10x) $(verdict "$r" 10)"
r=$(ratio "$ns" "$best"); echo "netscript / dnsperf (best, -q $best_q, $best q/s): ${r}x (target >= 0.5x) $(verdict "$r" 0.5)"
echo "dns::resolve / resolver object: $(ratio "$nsf" "$ns")x; r.query / resolver object: $(ratio "$nsq" "$ns")x"
