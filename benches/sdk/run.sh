#!/usr/bin/env bash
# The SDK-kit issue's benchmarks, old and new netscript side by side in one run (each pair
# interleaved, twice, so drift in the machine's load hits both alike):
#   1. hello handler under wrk -t2 -c32: old, new, `deno serve` (npm package) interleaved,
#      then node; req/s and the server's CPU time per 1000 requests
#   2. serve_dir, 1 KiB file, wrk -t2 -c64: old, new
#   3. 1000 GETs to nginx, parallel limit 32 (hyperfine): old, new, curl -Z
#   4. socket echo round trips/s, 50 persistent clients (echo_load): old, new
#   5. 10,000 clients connecting to socket::serve at once (new): most threads seen, RSS
# Usage: OLD=/path/to/old/netscript benches/sdk/run.sh   (NEW defaults to target/release)
# DURATION (seconds per wrk run, default 5), DENO=path to skip installing the npm package.
source "$(dirname "$0")/../lib.sh"
OLD="${OLD:?set OLD to the netscript binary to compare against}"
NEW="${NEW:-$NETSCRIPT}"
NETSCRIPT="$NEW"
ensure_netscript
ensure_tool wrk
ensure_tool nginx
ensure_tool hyperfine
DURATION="${DURATION:-5}"
ulimit -n 65536 2>/dev/null || true
(cd "$BENCH_ROOT" && cargo build --release --quiet -p netscript-socket --example echo_load)
LOAD="$BENCH_ROOT/target/release/examples/echo_load"

work="$(mktemp -d /tmp/ns-bench-sdk.XXXXXX)"
chmod 0755 "$work"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null; done
    rm -rf "$work"
}
trap cleanup EXIT

# serve NAME CMD…: starts a server that prints its port first; leaves it in PORT, pid in PID.
serve() {
    local name=$1; shift
    setsid "$@" >"$work/$name.out" 2>"$work/$name.err" &
    PID=$!; pids+=("$PID")
    for _ in $(seq 200); do [ -s "$work/$name.out" ] && break; sleep 0.05; done
    PORT=$(head -1 "$work/$name.out")
    [ -n "$PORT" ] || { echo "$name printed no port: $(cat "$work/$name.err")" >&2; exit 1; }
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 200); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done; return 1; }
rps() { wrk -t2 -c"$2" -d"${DURATION}s" "$1" 2>/dev/null | awk '/Requests\/sec/ {printf "%.0f", $2}'; }
# rps_cpu URL CONNS PID: req/s in RPS, and in CPU_MS the server's CPU time per 1000 requests (user +
# system, from /proc): less sensitive than req/s to the load of the rest of the machine.
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rps_cpu() {
    local before after out
    before=$(ticks "$3")
    out=$(wrk -t2 -c"$2" -d"${DURATION}s" "$1" 2>/dev/null | awk '/requests in/ {n = $1} /Requests\/sec/ {r = $2} END {printf "%.0f %d", r, n}')
    after=$(ticks "$3")
    set -- $out
    RPS=$1
    CPU_MS=$(python3 -c "import os, sys; t, n = int(sys.argv[1]), int(sys.argv[2]); print(f'{t * 1000 / os.sysconf(\"SC_CLK_TCK\") / (n / 1000):.2f}' if n else '?')" "$((after - before))" "$2")
}
ratio() { python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print(f'{a/b:.2f}' if b else 'inf')" "$1" "$2"; }
mean() { python3 -c "import sys; print(round((float(sys.argv[1]) + float(sys.argv[2])) / 2))" "$1" "$2"; }

echo "machine: $(machine)"
echo "old: $OLD"
echo "new: $NEW"

echo "== 1. hello handler, wrk -t2 -c32 -d${DURATION}s"
hello='let s = http::serve("127.0.0.1", 0, |req| "hello", #{ header_timeout: 600 }); print(s.port); s.wait();'
serve old_hello "$OLD" -e "$hello"; old_port=$PORT; old_pid=$PID
serve new_hello "$NEW" -e "$hello"; new_port=$PORT; new_pid=$PID
deno_bin="${DENO:-}"
if [ -z "$deno_bin" ]; then
    mkdir -p "$work/deno" && (cd "$work/deno" && timeout 180 npm install --silent deno >/dev/null 2>&1) \
        && deno_bin="$work/deno/node_modules/.bin/deno"
fi
deno_pid=""
if [ -n "$deno_bin" ] && "$deno_bin" --version >/dev/null 2>&1; then
    deno_port="$(free_port)"
    echo 'export default { fetch() { return new Response("hello"); } };' > "$work/hello.ts"
    setsid "$deno_bin" serve --quiet --host 127.0.0.1 --port "$deno_port" "$work/hello.ts" >/dev/null 2>&1 &
    deno_pid=$!; pids+=("$deno_pid"); wait_port "$deno_port"
fi
# Interleaved old, new, deno, twice: a drift in the machine's speed hits all three alike.
for round in 1 2; do
    rps_cpu "http://127.0.0.1:$old_port/" 32 "$old_pid"; eval "o$round=$RPS oc$round=$CPU_MS"
    rps_cpu "http://127.0.0.1:$new_port/" 32 "$new_pid"; eval "n$round=$RPS nc$round=$CPU_MS"
    if [ -n "$deno_pid" ]; then
        rps_cpu "http://127.0.0.1:$deno_port/" 32 "$deno_pid"; eval "d$round=$RPS dc$round=$CPU_MS"
    fi
done
old_hello=$(mean "$o1" "$o2"); new_hello=$(mean "$n1" "$n2")
node_port="$(free_port)"
setsid node -e "require('http').createServer((q, s) => { s.writeHead(200, {'Content-Type': 'text/plain'}); s.end('hello'); }).listen($node_port, '127.0.0.1')" >/dev/null 2>&1 &
node_pid=$!; pids+=("$node_pid"); wait_port "$node_port"
rps_cpu "http://127.0.0.1:$node_port/" 32 "$node_pid"; node_hello=$RPS; node_cpu=$CPU_MS
echo "old $o1 / $o2, new $n1 / $n2 req/s -> new/old $(ratio "$new_hello" "$old_hello")x"
echo "  server CPU per 1000 requests: old $oc1 / $oc2 ms, new $nc1 / $nc2 ms"
echo "node $node_hello req/s ($node_cpu ms CPU per 1000) -> new/node $(ratio "$new_hello" "$node_hello")x"
if [ -n "$deno_pid" ]; then
    echo "deno serve $d1 / $d2 req/s ($dc1 / $dc2 ms CPU per 1000) -> new/deno $(ratio "$new_hello" "$(mean "$d1" "$d2")")x (target >= 1.0x)"
else
    echo "deno serve: not measured (npm package deno did not install)"
fi

echo "== 2. serve_dir, 1 KiB file, wrk -t2 -c64"
mkdir -p "$work/www"; head -c 1024 /dev/urandom | base64 -w 76 | head -c 1024 > "$work/www/small.txt"
dir="let s = http::serve_dir(\"127.0.0.1\", 0, \"$work/www\"); print(s.port); s.wait();"
serve old_dir "$OLD" -e "$dir"; old_port=$PORT
serve new_dir "$NEW" -e "$dir"; new_port=$PORT
o1=$(rps "http://127.0.0.1:$old_port/small.txt" 64); n1=$(rps "http://127.0.0.1:$new_port/small.txt" 64)
o2=$(rps "http://127.0.0.1:$old_port/small.txt" 64); n2=$(rps "http://127.0.0.1:$new_port/small.txt" 64)
echo "old $o1 / $o2, new $n1 / $n2 req/s -> new/old $(ratio "$(mean "$n1" "$n2")" "$(mean "$o1" "$o2")")x"

echo "== 3. 1000 GETs to nginx, parallel limit 32 (hyperfine, 10 runs)"
ng_port="$(free_port)"
cat > "$work/nginx.conf" <<EOF
worker_processes $(nproc);
pid $work/nginx.pid;
error_log $work/error.log;
events { worker_connections 20000; }
http {
  access_log off;
  client_body_temp_path $work/body; proxy_temp_path $work/proxy; fastcgi_temp_path $work/fcgi;
  uwsgi_temp_path $work/uwsgi; scgi_temp_path $work/scgi;
  server { listen 127.0.0.1:$ng_port; root $work/www; keepalive_requests 1000000; }
}
EOF
setsid nginx -e "$work/error.log" -c "$work/nginx.conf" -g 'daemon off;' >/dev/null 2>&1 &
pids+=($!); wait_port "$ng_port"
for i in $(seq 1000); do echo "url = \"http://127.0.0.1:$ng_port/small.txt?i=$i\""; echo 'output = "/dev/null"'; done > "$work/curl.cfg"
cat > "$work/gets.rhai" <<EOF
let urls = [];
for i in 0..1000 { urls.push("http://127.0.0.1:$ng_port/small.txt?i=" + i); }
let codes = parallel(urls, |u| http::get(u).status_code, #{ limit: 32 });
if codes.filter(|c| c == 200).len() != 1000 { throw "not all 200"; }
EOF
hyperfine --runs 10 --warmup 2 -N --export-json "$work/gets.json" \
    "$OLD $work/gets.rhai" "$NEW $work/gets.rhai" "curl -s -Z --parallel-max 32 -K $work/curl.cfg" >/dev/null 2>&1
old_gets="$(median_ms "$work/gets.json" 0)"; new_gets="$(median_ms "$work/gets.json" 1)"; curl_gets="$(median_ms "$work/gets.json" 2)"
echo "old $old_gets ms, new $new_gets ms, curl -Z $curl_gets ms -> new vs curl $(ratio "$curl_gets" "$new_gets")x, new/old time $(ratio "$new_gets" "$old_gets")"

echo "== 4. socket echo round trips/s, 50 clients, ${DURATION}s each"
serve old_echo "$OLD" "$BENCH_ROOT/benches/socket/echo_serve.rhai"; old_port=$PORT
serve new_echo "$NEW" "$BENCH_ROOT/benches/socket/echo_serve.rhai"; new_port=$PORT
o1=$($LOAD rtt 127.0.0.1 "$old_port" 50 "$DURATION"); n1=$($LOAD rtt 127.0.0.1 "$new_port" 50 "$DURATION")
o2=$($LOAD rtt 127.0.0.1 "$old_port" 50 "$DURATION"); n2=$($LOAD rtt 127.0.0.1 "$new_port" 50 "$DURATION")
echo "old $o1 / $o2, new $n1 / $n2 -> new/old $(ratio "$(mean "$n1" "$n2")" "$(mean "$o1" "$o2")")x"

echo "== 5. 10,000 clients connecting to socket::serve at once (workers: 64)"
serve flood "$NEW" -e 'let s = socket::serve("127.0.0.1", 0, |c| { let d = c.recv(16); sleep(0.01); c.sendall(d); }, #{ backlog: 65535 }); print(s.port); s.wait();'
flood_pid=$PID; flood_port=$PORT
threads() { awk '/^Threads:/ {print $2}' "/proc/$flood_pid/status"; }
rss() { awk '/^VmRSS:/ {printf "%d", $2 / 1024}' "/proc/$flood_pid/status"; }
before_threads=$(threads); before_rss=$(rss)
cat > "$work/flood.py" <<EOF
import selectors, socket
sel = selectors.DefaultSelector()
for i in range(10000):
    s = socket.socket(); s.setblocking(False)
    s.connect_ex(("127.0.0.1", $flood_port))
    sel.register(s, selectors.EVENT_WRITE, i)
done = 0
while done < 10000:
    events = sel.select(timeout=60)
    if not events: break
    for key, mask in events:
        s, i = key.fileobj, key.data
        if mask & selectors.EVENT_WRITE:
            s.send(b"%06d" % i); sel.modify(s, selectors.EVENT_READ, i)
        else:
            if s.recv(16) == b"%06d" % i: done += 1
            sel.unregister(s); s.close()
print(done, flush=True)
EOF
python3 "$work/flood.py" > "$work/flood.txt" &
flood_client=$!
most_threads=0; most_rss=0
while kill -0 "$flood_client" 2>/dev/null; do
    t=$(threads); r=$(rss)
    [ "$t" -gt "$most_threads" ] && most_threads=$t
    [ "$r" -gt "$most_rss" ] && most_rss=$r
    sleep 0.1
done
echo "threads $before_threads idle -> at most $most_threads while 10,000 clients connected at once (workers 64 + a fixed few); RSS $before_rss -> at most $most_rss MB; answered $(cat "$work/flood.txt") of 10000"
