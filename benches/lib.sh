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

# require_servers COMMAND…: exits 1 unless every server program is installed (./test.sh
# installs them; a benchmark starts its own, never the system's daemons).
require_servers() {
    local tool
    for tool in "$@"; do
        command -v "$tool" >/dev/null 2>&1 || {
            echo "no $tool: install $* as ./test.sh does (it runs no system daemon)" >&2
            exit 1
        }
    done
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

# hold_servers WORKDIR TEST NAME: starts a test harness's servers in the background (the
# ignored test NAME in tests/TEST.rs, debug profile, built if needed; NETSCRIPT_HOLD_SEED and
# NETSCRIPT_TEST_TMPDIR pass through), waits for WORKDIR/servers.env, which the test writes
# once its servers run, and sources it. release_servers (call it from the EXIT trap) deletes
# the file, which ends the test and stops the servers, and waits for it.
# Several can be held at once, each with a WORKDIR of its own (two servers.env files would
# collide), e.g. hold_mail_servers "$work/mail" and hold_ftp_server "$work/ftp": each sources
# its file into the same shell, so copy a name both files set (ca_file) before the second
# call. HOLD_FILE and HOLD_PID are the last one's; HOLD_FILES and HOLD_PIDS hold every one,
# and release_servers (release_mail_servers, release_ftp_server) stops them all.
HOLD_FILE=""
HOLD_PID=""
HOLD_FILES=()
HOLD_PIDS=()
hold_servers() {
    mkdir -p "$1"
    HOLD_FILE="$1/servers.env"
    (cd "$BENCH_ROOT" && NETSCRIPT_HOLD_SERVERS="$HOLD_FILE" \
        cargo test --quiet --test "$2" -- --ignored --exact "$3") \
        >"$1/cargo.log" 2>&1 &
    HOLD_PID=$!
    HOLD_FILES+=("$HOLD_FILE")
    HOLD_PIDS+=("$HOLD_PID")
    while [ ! -e "$HOLD_FILE" ]; do
        kill -0 "$HOLD_PID" 2>/dev/null || {
            wait "$HOLD_PID" 2>/dev/null || true
            unset 'HOLD_PIDS[-1]' 'HOLD_FILES[-1]'
            HOLD_PID=""
            echo "the servers of $2::$3 did not start:" >&2
            cat "$1/cargo.log" >&2
            return 1
        }
        sleep 0.2
    done
    # shellcheck disable=SC1090
    source "$HOLD_FILE"
}
release_servers() {
    local i
    for i in "${!HOLD_PIDS[@]}"; do
        # A test still starting writes its file later: delete it until the test ends.
        while kill -0 "${HOLD_PIDS[i]}" 2>/dev/null; do
            rm -f "${HOLD_FILES[i]}"
            sleep 0.1
        done
        wait "${HOLD_PIDS[i]}" 2>/dev/null || true
    done
    HOLD_FILES=()
    HOLD_PIDS=()
    HOLD_FILE=""
    HOLD_PID=""
}

# hold_mail_servers WORKDIR: the test harness's Postfix + Dovecot (`hold_servers_for_a_benchmark`
# in tests/mail_servers.rs); servers.env gives plain_port, imap_port, pop3_port, dovecot_log,
# seed_user, seed_count, …. release_mail_servers stops them.
hold_mail_servers() { hold_servers "$1" mail_servers hold_servers_for_a_benchmark; }
release_mail_servers() { release_servers; }

# hold_ftp_server WORKDIR: the test harness's pure-ftpd (`hold_ftp_server_for_a_benchmark` in
# tests/ftp_server.rs; root with CAP_SYS_ADMIN, it runs in a private mount namespace);
# servers.env gives port, ca_file, user, password, home, user2, password2, home2, anon_home,
# passive_ports, log, pid. release_ftp_server stops it.
hold_ftp_server() { hold_servers "$1" ftp_server hold_ftp_server_for_a_benchmark; }
release_ftp_server() { release_servers; }
