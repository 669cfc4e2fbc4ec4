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

# Statistics and verdicts for the runners that compare medians.
median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
verdict() { awk -v a="$1" -v b="$2" 'BEGIN { print (a >= b) ? "OK" : "BELOW TARGET" }'; }
mb() { awk -v kb="$1" 'BEGIN { printf "%.1f", kb / 1024 }'; }
# time_field FILE NAME: a field of `/usr/bin/time -v`'s report ("Maximum resident set size").
time_field() { awk -F': ' -v n="$2" '$1 ~ n { print $2 }' "$1"; }
# cpu_ms FILE: user + system time of a `/usr/bin/time -v` report, in ms.
cpu_ms() { awk -F': ' '/User time|System time/ { t += $2 } END { printf "%.0f", t * 1000 }' "$1"; }

# hold_mail_servers WORKDIR: starts the test harness's Postfix + Dovecot in the background
# (the ignored test `hold_servers_for_a_benchmark` in tests/mail_servers.rs, debug profile,
# built if needed; NETSCRIPT_HOLD_SEED and NETSCRIPT_TEST_TMPDIR pass through), waits for
# WORKDIR/servers.env and sources it (plain_port, imap_port, pop3_port, dovecot_log,
# seed_user, seed_count, …). release_mail_servers (call it from the EXIT trap) deletes the
# file, which ends the test and stops both servers, and waits for it.
HOLD_FILE=""
HOLD_PID=""
hold_mail_servers() {
    HOLD_FILE="$1/servers.env"
    (cd "$BENCH_ROOT" && NETSCRIPT_HOLD_SERVERS="$HOLD_FILE" \
        cargo test --quiet --test mail_servers -- --ignored --exact hold_servers_for_a_benchmark) \
        >"$1/cargo.log" 2>&1 &
    HOLD_PID=$!
    while [ ! -e "$HOLD_FILE" ]; do
        kill -0 "$HOLD_PID" 2>/dev/null || {
            wait "$HOLD_PID" 2>/dev/null || true
            HOLD_PID=""
            echo "the mail servers did not start:" >&2
            cat "$1/cargo.log" >&2
            return 1
        }
        sleep 0.2
    done
    # shellcheck disable=SC1090
    source "$HOLD_FILE"
}
release_mail_servers() {
    if [ -n "$HOLD_FILE" ]; then rm -f "$HOLD_FILE"; fi
    if [ -n "$HOLD_PID" ]; then wait "$HOLD_PID" 2>/dev/null || true; fi
    HOLD_PID=""
}
