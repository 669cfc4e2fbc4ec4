#!/usr/bin/env bash
# The http benchmarks, every peer measured in this same run (wrk from Debian):
#   1. serve_dir, small file:  netscript vs `python3 -m http.server` vs nginx (1 worker/core)
#   2. serve hello handler:    netscript vs node http.createServer vs Python
#                              BaseHTTPRequestHandler on ThreadingHTTPServer (vs `deno serve`
#                              when the npm package `deno` installs)
#   3. 1000 GETs to nginx:     parallel(urls, |u| http::get(u), #{limit: 32}) vs Python
#                              requests in a loop vs `curl -Z --parallel-max 32`
#   4. RSS of the netscript hello server holding 10,000 idle keep-alive connections
# Prints each ratio against its target.   DURATION=5 (seconds per wrk run), CONNS=64.
source "$(dirname "$0")/../lib.sh"
here="$(cd "$(dirname "$0")" && pwd)"
DURATION="${DURATION:-5}"
CONNS="${CONNS:-64}"
ensure_netscript
ensure_tool wrk
ensure_tool nginx
ulimit -n 65536 2>/dev/null || true

work="$(mktemp -d /tmp/ns-bench-http.XXXXXX)"
chmod 0755 "$work"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null; done
    rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 200); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done; echo "nothing on port $1" >&2; return 1; }
start() { setsid "$@" >/dev/null 2>&1 & pids+=($!); }
rps() { wrk -t2 -c"$CONNS" -d"${DURATION}s" "$1" 2>/dev/null | awk '/Requests\/sec/ {printf "%.0f", $2}'; }
ratio() { python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print(f'{a/b:.2f}' if b else 'inf')" "$1" "$2"; }
verdict() { python3 -c "import sys; print('OK' if float(sys.argv[1]) >= float(sys.argv[2]) else 'BELOW TARGET')" "$1" "$2"; }

echo "machine: $(machine)"
mkdir -p "$work/www"
head -c 1024 /dev/urandom | base64 -w 76 | head -c 1024 > "$work/www/small.txt"
cores="$(nproc)"

# nginx: one worker per core, static files, access log off.
ng_port="$(free_port)"
cat > "$work/nginx.conf" <<EOF
worker_processes $cores;
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
start nginx -e "$work/error.log" -c "$work/nginx.conf" -g 'daemon off;'
wait_port "$ng_port"

echo "== 1. static small file (1 KiB), wrk -c$CONNS -d${DURATION}s"
ns_dir_port="$(free_port)"
start "$NETSCRIPT" -e "http::serve_dir(\"127.0.0.1\", $ns_dir_port, \"$work/www\").wait();"
py_dir_port="$(free_port)"
start python3 -m http.server "$py_dir_port" --bind 127.0.0.1 --directory "$work/www"
wait_port "$ns_dir_port"; wait_port "$py_dir_port"
ns_dir="$(rps "http://127.0.0.1:$ns_dir_port/small.txt")"
py_dir="$(rps "http://127.0.0.1:$py_dir_port/small.txt")"
ng_dir="$(rps "http://127.0.0.1:$ng_port/small.txt")"
echo "netscript serve_dir: $ns_dir req/s | python http.server: $py_dir req/s | nginx ($cores workers): $ng_dir req/s"
r="$(ratio "$ns_dir" "$py_dir")"; echo "  vs python: ${r}x (target >= 30x) $(verdict "$r" 30)"
r="$(ratio "$ns_dir" "$ng_dir")"; echo "  vs nginx:  ${r}x (target >= 0.8x) $(verdict "$r" 0.8)"

echo "== 2. hello handler, wrk -c$CONNS -d${DURATION}s"
ns_hello_port="$(free_port)"
start "$NETSCRIPT" -e "http::serve(\"127.0.0.1\", $ns_hello_port, |req| \"hello\", #{ header_timeout: 600 }).wait();"
ns_hello_pid="${pids[-1]}"
node_port="$(free_port)"
start node -e "require('http').createServer((q, s) => { s.writeHead(200, {'Content-Type': 'text/plain'}); s.end('hello'); }).listen($node_port, '127.0.0.1')"
py_port="$(free_port)"
cat > "$work/hello.py" <<'EOF'
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class Hello(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", "5")
        self.end_headers()
        self.wfile.write(b"hello")
    def log_message(self, *args):
        pass
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Hello).serve_forever()
EOF
start python3 "$work/hello.py" "$py_port"
wait_port "$ns_hello_port"; wait_port "$node_port"; wait_port "$py_port"
ns_hello="$(rps "http://127.0.0.1:$ns_hello_port/")"
node_hello="$(rps "http://127.0.0.1:$node_port/")"
py_hello="$(rps "http://127.0.0.1:$py_port/")"
echo "netscript serve: $ns_hello req/s | node: $node_hello req/s | python ThreadingHTTPServer: $py_hello req/s"
r="$(ratio "$ns_hello" "$node_hello")"; echo "  vs node:   ${r}x (target >= 1.0x) $(verdict "$r" 1.0)"
r="$(ratio "$ns_hello" "$py_hello")"; echo "  vs python: ${r}x (target >= 50x) $(verdict "$r" 50)"
deno_bin="${DENO:-}"
if [ -z "$deno_bin" ]; then
    mkdir -p "$work/deno" && (cd "$work/deno" && timeout 120 npm install --silent deno >/dev/null 2>&1) \
        && deno_bin="$work/deno/node_modules/.bin/deno"
fi
if [ -n "$deno_bin" ] && "$deno_bin" --version >/dev/null 2>&1; then
    deno_port="$(free_port)"
    echo 'export default { fetch() { return new Response("hello"); } };' > "$work/hello.ts"
    start "$deno_bin" serve --quiet --host 127.0.0.1 --port "$deno_port" "$work/hello.ts"
    wait_port "$deno_port"
    deno_hello="$(rps "http://127.0.0.1:$deno_port/")"
    echo "deno serve: $deno_hello req/s (netscript/deno $(ratio "$ns_hello" "$deno_hello")x, reported only)"
else
    echo "deno serve: not measured (npm package deno did not install)"
fi

echo "== 3. 1000 GETs to nginx (concurrency 32)"
for i in $(seq 1000); do echo "url = \"http://127.0.0.1:$ng_port/small.txt?i=$i\""; echo 'output = "/dev/null"'; done > "$work/curl.cfg"
cat > "$work/gets.rhai" <<EOF
let urls = [];
for i in 0..1000 { urls.push("http://127.0.0.1:$ng_port/small.txt?i=" + i); }
let codes = parallel(urls, |u| http::get(u).status_code, #{ limit: 32 });
if codes.filter(|c| c == 200).len() != 1000 { throw "not all 200"; }
EOF
cat > "$work/gets.py" <<EOF
import requests
for i in range(1000):
    assert requests.get("http://127.0.0.1:$ng_port/small.txt?i=%d" % i).status_code == 200
EOF
hyperfine --runs 10 --warmup 2 -N --export-json "$work/gets.json" \
    "$NETSCRIPT $work/gets.rhai" "python3 $work/gets.py" "curl -s -Z --parallel-max 32 -K $work/curl.cfg" >/dev/null 2>&1
ns_gets="$(median_ms "$work/gets.json" 0)"; py_gets="$(median_ms "$work/gets.json" 1)"; curl_gets="$(median_ms "$work/gets.json" 2)"
echo "netscript parallel: $ns_gets ms | python requests loop: $py_gets ms | curl -Z: $curl_gets ms"
r="$(ratio "$py_gets" "$ns_gets")"; echo "  vs python: ${r}x faster (target >= 10x) $(verdict "$r" 10)"
r="$(ratio "$curl_gets" "$ns_gets")"; echo "  vs curl:   ${r}x (target >= 1.0x) $(verdict "$r" 1.0)"

echo "== 4. RSS with 10,000 idle keep-alive connections (netscript serve hello)"
ns_pid="$ns_hello_pid"
rss_before="$(awk '/VmRSS/ {print $2}' "/proc/$ns_pid/status")"
cat > "$work/idle.py" <<EOF
import socket, sys, time
conns = []
for i in range(10000):
    s = socket.create_connection(("127.0.0.1", $ns_hello_port))
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    conns.append(s)
for s in conns:
    s.recv(4096)
print("open", flush=True)
sys.stdin.readline()
EOF
coproc IDLE { python3 "$work/idle.py"; }
read -r line <&"${IDLE[0]}"
rss_after="$(awk '/VmRSS/ {print $2}' "/proc/$ns_pid/status")"
echo "$line" >/dev/null
echo "done" >&"${IDLE[1]}"
wait "$IDLE_PID" 2>/dev/null || true
echo "netscript RSS: $((rss_before / 1024)) MB idle -> $((rss_after / 1024)) MB with 10,000 keep-alive connections (goal <= 150 MB) $(verdict "$((150 * 1024))" "$rss_after")"
