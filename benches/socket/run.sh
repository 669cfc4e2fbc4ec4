#!/usr/bin/env bash
# Socket benchmarks, in one run on this machine:
#  (a) echo round trips/s through socket::serve vs Python's ThreadingTCPServer, both driven
#      by the same Rust load generator (plugins/socket/examples/echo_load.rs) with CLIENTS
#      persistent connections, one 64-byte message in flight each; also a native Rust
#      echo server as the machine's ceiling, and a connection-per-round-trip variant;
#  (b) bulk loopback transfer: netscript sender -> netscript receiver vs socat -> socat.
# Servers run in their own process groups and are stopped by PID.
set -euo pipefail
cd "$(dirname "$0")/../.."

SECS=${SECS:-5}          # seconds per round-trip measurement
CLIENTS=${CLIENTS:-50}
MIB=${MIB:-2048}         # MiB per bulk transfer

cargo build --release --quiet --bin netscript
cargo build --release --quiet -p netscript-socket --example echo_load
NS=target/release/netscript
LOAD=target/release/examples/echo_load
command -v socat >/dev/null || { echo "socat is missing (apt-get install socat)"; exit 1; }

tmp=$(mktemp -d /tmp/ns-bench.XXXXXX)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT

# start NAME CMD…: runs CMD in its own process group (recorded in pids); its first output
# line is the port, left in PORT.
start() {
    local name=$1; shift
    setsid "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
    pids+=("$!")
    for _ in $(seq 200); do
        [ -s "$tmp/$name.out" ] && break
        sleep 0.05
    done
    PORT=$(head -1 "$tmp/$name.out")
    [ -n "$PORT" ] || { echo "$name printed no port: $(cat "$tmp/$name.err")" >&2; exit 1; }
}
stop_last() { kill -TERM -- "-${pids[-1]}" 2>/dev/null || true; wait "${pids[-1]}" 2>/dev/null || true; unset 'pids[-1]'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
mean() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", (a + b) / 2 }'; }

echo "== (a) echo round trips/s, $CLIENTS concurrent clients, ${SECS}s each =="
start ns "$NS" benches/socket/echo_serve.rhai; ns_port=$PORT
start py python3 tests/peers/echo_server.py --threading; py_port=$PORT
# Alternate the two servers so drift in the machine's load hits both alike.
ns1=$($LOAD rtt 127.0.0.1 "$ns_port" "$CLIENTS" "$SECS")
py1=$($LOAD rtt 127.0.0.1 "$py_port" "$CLIENTS" "$SECS")
ns2=$($LOAD rtt 127.0.0.1 "$ns_port" "$CLIENTS" "$SECS")
py2=$($LOAD rtt 127.0.0.1 "$py_port" "$CLIENTS" "$SECS")
ns=$(mean "$ns1" "$ns2"); py=$(mean "$py1" "$py2")
nsc=$($LOAD connect 127.0.0.1 "$ns_port" "$CLIENTS" "$SECS")
pyc=$($LOAD connect 127.0.0.1 "$py_port" "$CLIENTS" "$SECS")
stop_last; stop_last
start tokio "$LOAD" echo 0; tokio_port=$PORT
native=$($LOAD rtt 127.0.0.1 "$tokio_port" "$CLIENTS" "$SECS")
stop_last
printf '%-44s %10s\n' "netscript socket::serve (persistent)" "$ns"
printf '%-44s %10s\n' "python ThreadingTCPServer (persistent)" "$py"
printf '%-44s %10s\n' "native Rust tokio echo (ceiling)" "$native"
echo "ratio netscript / python: $(ratio "$ns" "$py")x   (target >= 10x; ceiling $(ratio "$native" "$py")x)"
printf '%-44s %10s\n' "netscript, one connection per round trip" "$nsc"
printf '%-44s %10s\n' "python, one connection per round trip" "$pyc"
echo "ratio per connection: $(ratio "$nsc" "$pyc")x"

echo
echo "== (b) bulk loopback transfer, $MIB MiB =="
# Each bulk function leaves MiB/s in RATE: from the sender's start to the receiver's end.
ns_bulk() {
    start nsrecv "$NS" benches/socket/bulk_recv.rhai
    local t0; t0=$(date +%s.%N)
    "$NS" benches/socket/bulk_send.rhai "$PORT" "$MIB"
    wait "${pids[-1]}" 2>/dev/null || true
    local t1; t1=$(date +%s.%N)
    local got; got=$(sed -n 2p "$tmp/nsrecv.out")
    unset 'pids[-1]'
    [ "$got" = "$((MIB << 20))" ] || { echo "netscript receiver got $got bytes" >&2; exit 1; }
    RATE=$(awk -v m="$MIB" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", m / (b - a) }')
}
# wait_listen PORT: until something listens on PORT (read from /proc, no connection made).
wait_listen() {
    local hex; hex=$(printf ':%04X ' "$1")
    for _ in $(seq 200); do
        grep -q "$hex.* 0A " /proc/net/tcp 2>/dev/null && return 0
        sleep 0.02
    done
    echo "nothing listens on port $1" >&2; return 1
}
socat_bulk() {
    local buf=$1 port
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    setsid socat -u -b "$buf" "TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr" OPEN:/dev/null &
    pids+=("$!")
    wait_listen "$port"
    local t0; t0=$(date +%s.%N)
    socat -u -b "$buf" "OPEN:/dev/zero,readbytes=$((MIB << 20))" "TCP:127.0.0.1:$port"
    wait "${pids[-1]}" 2>/dev/null || true
    local t1; t1=$(date +%s.%N)
    unset 'pids[-1]'
    RATE=$(awk -v m="$MIB" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", m / (b - a) }')
}
ns_bulk; nsb=$RATE
socat_bulk 8192; socat_default=$RATE
socat_bulk 1048576; socat_big=$RATE
ns_bulk; nsb=$(mean "$nsb" "$RATE")
printf '%-44s %10s MiB/s\n' "netscript sendall -> recv (1 MiB blocks)" "$nsb"
printf '%-44s %10s MiB/s\n' "socat -> socat (default 8 KiB buffer)" "$socat_default"
printf '%-44s %10s MiB/s\n' "socat -> socat (-b 1 MiB)" "$socat_big"
best=$socat_default; [ "$socat_big" -gt "$best" ] && best=$socat_big
echo "ratio netscript / best socat: $(ratio "$nsb" "$best")x   (target >= 0.5x)"
