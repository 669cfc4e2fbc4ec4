#!/usr/bin/env bash
# The smtp benchmark: COUNT (1000) messages of ~4 KB to one real Postfix, in this same run:
#   netscript  one connection: smtp::connect, c.sendmail in a loop, c.quit (send.rhai "one");
#   netscript  parallel(0..4, |k| …, #{ limit: 4 }): four connections, each closure sending a
#              quarter of the messages over its own (send.rhai "parallel");
#   smtplib    one connection: smtplib.SMTP, sendmail in a loop, quit (send.py, Debian's
#              /usr/bin/python3);
#   floor      one connection, reported only: a raw-socket client doing the least SMTP
#              allows (MAIL, RCPT, DATA pipelined; floor.py): what is left is mostly Postfix's
#              time per message, which no one-connection client gets below.
# Target (issue 10): netscript >= 3x smtplib; both netscript figures and netscript's peak RSS
# (/usr/bin/time -v) are reported. Every side sends the same bytes (message.eml, written
# below: headers + 50 lines of 78 characters, CRLF), message i from bench@example.test to
# rcpt<i>@discard.test, on Postfix's plain port (no TLS, no AUTH); each times itself from its
# first connect to its last QUIT (process start-up and reading the file excluded), and checks
# that every sendmail refused no recipient. The runs are interleaved RUNS times (default 3)
# and the medians compared.
# Postfix is the test harness's own (tests/common/mail_servers.rs, started by the ignored
# test `hold_servers_for_a_benchmark` in tests/mail_servers.rs, debug profile): discard.test
# goes to Postfix's `discard:` transport, so each message is received, queued (cleanup writes
# and fsyncs a queue file), then thrown away by qmgr + discard, with no LMTP. Postfix's rate
# limits are all off there (anvil's smtpd_client_*_rate_limit default 0, and loopback is in
# mynetworks, exempt anyway); smtpd_error_sleep_time is 0. One throttle remains at its
# default: in_flow_delay (1 s), smtpd's pause before a message when cleanup runs out of
# flow-control tokens, i.e. when qmgr's deliveries fall behind arrivals. After each run the
# runner waits until Postfix has logged every message discarded (status=sent), so each run
# starts with an empty queue, and counts them: Postfix's own correctness check.
# Each client's own CPU time (user + system, start-up included, from /usr/bin/time) is printed
# too: with Postfix setting the pace, it is the figure that compares the clients themselves.
# NETSCRIPT_TEST_TMPDIR=/dev/shm puts the harness's temp dir (Postfix's queue) on tmpfs, so
# the queue file's fsync costs nothing.
#   COUNT=1000 RUNS=3 CONNECTIONS=4 NETSCRIPT=path PY=/usr/bin/python3 NETSCRIPT_TEST_TMPDIR=dir
source "$(dirname "$0")/../lib.sh"
here="$(cd "$(dirname "$0")" && pwd)"
COUNT="${COUNT:-1000}"
RUNS="${RUNS:-3}"
CONNECTIONS="${CONNECTIONS:-4}"
PY="${PY:-/usr/bin/python3}"
TARGET=3

ensure_netscript
ensure_tool /usr/bin/time time
require_servers postfix dovecot

work="$(mktemp -d /tmp/ns-bench-smtp.XXXXXX)"
hold="$work/servers.env"
cargo_pid=""
cleanup() {
    # Deleting the file ends the held test, which stops Postfix and Dovecot on drop.
    rm -f "$hold"
    if [ -n "$cargo_pid" ]; then wait "$cargo_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
verdict() { awk -v a="$1" -v b="$2" 'BEGIN { print (a >= b) ? "OK" : "BELOW TARGET" }'; }
mb() { awk -v kb="$1" 'BEGIN { printf "%.1f", kb / 1024 }'; }
per_s() { awk -v n="$COUNT" -v ms="$1" 'BEGIN { printf "%.0f", n * 1000 / ms }'; }

# The message: the same bytes for every side and every recipient (~4.2 KB).
"$PY" - "$work/message.eml" <<'EOF'
import sys
head = ("From: Bench <bench@example.test>\r\n"
        "To: <rcpt@discard.test>\r\n"
        "Subject: netscript smtp benchmark\r\n"
        "Date: Thu, 01 Jan 2026 00:00:00 +0000\r\n"
        "Message-ID: <smtp-bench@example.test>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=us-ascii\r\n"
        "\r\n")
text = "the quick brown fox jumps over the lazy dog " * 2
body = "".join(f"{n:02d} {text[:75]}\r\n" for n in range(50))  # 50 lines of 80 bytes
open(sys.argv[1], "wb").write((head + body).encode("ascii"))
EOF
size=$(stat -c %s "$work/message.eml")

# Postfix + Dovecot from the test harness, held until $hold is deleted (cleanup).
echo "starting the test harness's Postfix (cargo test --test mail_servers, debug; builds it if needed)…"
(cd "$BENCH_ROOT" && NETSCRIPT_HOLD_SERVERS="$hold" \
    cargo test --quiet --test mail_servers -- --ignored --exact hold_servers_for_a_benchmark) \
    >"$work/cargo.log" 2>&1 &
cargo_pid=$!
while [ ! -e "$hold" ]; do
    kill -0 "$cargo_pid" 2>/dev/null || {
        wait "$cargo_pid" 2>/dev/null || true
        cargo_pid=""
        echo "the mail servers did not start:" >&2
        cat "$work/cargo.log" >&2
        exit 1
    }
    sleep 0.2
done
# plain_port, postfix_config, postfix_log, … (see hold_servers_for_a_benchmark).
# shellcheck disable=SC1090
source "$hold"

echo "machine: $(machine), load average $(cut -d' ' -f1-3 /proc/loadavg); Postfix $(postconf -c "$postfix_config" -h mail_version); $("$PY" --version); $("$NETSCRIPT" --version | head -1)"
echo "Postfix (pid $postfix_pid) plain port 127.0.0.1:$plain_port; $COUNT messages of $size bytes to rcptN@$discard_domain, $CONNECTIONS connections for parallel, $RUNS runs"

# discarded: how many benchmark messages Postfix has logged as delivered (discarded).
discarded() { grep -c "to=<rcpt[0-9]*@$discard_domain>.*status=sent" "$postfix_log" || true; }
expected=0
# wait_drained: until Postfix has discarded every message sent so far (60 s at most).
wait_drained() {
    expected=$((expected + COUNT))
    local got
    for _ in $(seq 600); do
        got=$(discarded)
        [ "$got" -ge "$expected" ] && return 0
        sleep 0.1
    done
    echo "Postfix discarded $got messages, $expected sent; the end of its log:" >&2
    tail -20 "$postfix_log" >&2
    exit 1
}

# Each run_* leaves the milliseconds in MS, the peak RSS in KB in RSS and the CPU time
# (user + system) in ms in CPU.
cpu_ms() { awk -F': ' '/User time|System time/ { t += $2 } END { printf "%.0f", t * 1000 }' "$work/time.txt"; }
run_ns() { # run_ns MODE
    /usr/bin/time -v -o "$work/time.txt" "$NETSCRIPT" "$here/send.rhai" 127.0.0.1 "$plain_port" \
        "$work/message.eml" "$COUNT" "$1" "$CONNECTIONS" >"$work/ns.out" 2>"$work/ns.err" \
        || { echo "netscript $1 failed: $(cat "$work/ns.err")" >&2; exit 1; }
    read -r sent MS <"$work/ns.out"
    [ "$sent" = "$COUNT" ] || { echo "netscript $1 sent $sent of $COUNT" >&2; exit 1; }
    RSS=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$work/time.txt")
    CPU=$(cpu_ms)
    wait_drained
}
run_py() { # run_py SCRIPT NAME
    /usr/bin/time -v -o "$work/time.txt" "$PY" "$here/$1" 127.0.0.1 "$plain_port" \
        "$work/message.eml" "$COUNT" >"$work/py.out" 2>"$work/py.err" \
        || { echo "$2 failed: $(cat "$work/py.err")" >&2; exit 1; }
    read -r sent MS <"$work/py.out"
    [ "$sent" = "$COUNT" ] || { echo "$2 sent $sent of $COUNT" >&2; exit 1; }
    RSS=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$work/time.txt")
    CPU=$(cpu_ms)
    wait_drained
}

ns1=(); nsp=(); py=(); floor=(); rss1=(); rssp=(); rsspy=(); cpu1=(); cpup=(); cpupy=()
for run in $(seq "$RUNS"); do
    run_ns one; ns1+=("$MS"); rss1+=("$RSS"); cpu1+=("$CPU")
    run_ns parallel; nsp+=("$MS"); rssp+=("$RSS"); cpup+=("$CPU")
    run_py send.py smtplib; py+=("$MS"); rsspy+=("$RSS"); cpupy+=("$CPU")
    run_py floor.py "the raw-socket floor"; floor+=("$MS")
    printf 'run %s: netscript one connection %.0f ms, parallel x%s %.0f ms, smtplib %.0f ms, raw-socket floor %.0f ms\n' \
        "$run" "${ns1[-1]}" "$CONNECTIONS" "${nsp[-1]}" "${py[-1]}" "${floor[-1]}"
done
echo "Postfix discarded $(discarded) benchmark messages, $expected sent, every sendmail refused no recipient"

m1=$(median "${ns1[@]}"); mp=$(median "${nsp[@]}"); mpy=$(median "${py[@]}"); mfl=$(median "${floor[@]}")
echo "medians of $RUNS runs ($COUNT messages, first connect to last QUIT):"
c1=$(median "${cpu1[@]}"); cp=$(median "${cpup[@]}"); cpy=$(median "${cpupy[@]}")
printf '%-44s %9.0f ms %7s msg/s  peak RSS %s MB  client CPU %s ms\n' "netscript, one connection" "$m1" "$(per_s "$m1")" "$(mb "$(median "${rss1[@]}")")" "$c1"
printf '%-44s %9.0f ms %7s msg/s  peak RSS %s MB  client CPU %s ms\n' "netscript, parallel over $CONNECTIONS connections" "$mp" "$(per_s "$mp")" "$(mb "$(median "${rssp[@]}")")" "$cp"
printf '%-44s %9.0f ms %7s msg/s  peak RSS %s MB  client CPU %s ms\n' "smtplib, one connection" "$mpy" "$(per_s "$mpy")" "$(mb "$(median "${rsspy[@]}")")" "$cpy"
printf '%-44s %9.0f ms %7s msg/s  (reported only)\n' "raw-socket floor, one connection (floor.py)" "$mfl" "$(per_s "$mfl")"
r=$(ratio "$mpy" "$m1"); echo "smtplib time / netscript one connection: ${r}x (target >= ${TARGET}x) $(verdict "$r" "$TARGET")"
r=$(ratio "$mpy" "$mp"); echo "smtplib time / netscript parallel x$CONNECTIONS: ${r}x (target >= ${TARGET}x) $(verdict "$r" "$TARGET")"
echo "smtplib time / raw-socket floor: $(ratio "$mpy" "$mfl")x (a client doing the least over one connection; the rest is Postfix's)"
echo "client CPU, smtplib / netscript: one connection $(ratio "$cpy" "$c1")x, parallel $(ratio "$cpy" "$cp")x (reported only)"
