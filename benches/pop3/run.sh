#!/usr/bin/env bash
# The pop3 benchmark: COUNT (500) messages of ~SIZE (20,000) bytes retrieved from one real
# Dovecot over one connection each, in this same run:
#   netscript  the pop3 plugin, built outside the workspace as a third party's (plugins/pop3,
#              release profile, as the release netscript) and loaded at run time with
#              `--plugin …/libnetscript_pop3.so` (retr.rhai): pop3::connect, c.login, c.stat(),
#              c.retr(n) for n in 1..=count ("retr", one at a time as poplib), or
#              c.retr_each(|n, msg| …) ("each": RETRs pipelined 32 to a write), c.quit();
#   poplib     poplib.POP3, user, pass_, stat(), retr(n) for every n, quit (retr.py, Debian's
#              /usr/bin/python3);
#   floor      reported only: a raw-socket client doing the least POP3 allows (floor.py: RETR
#              replies read in 1 MiB recv()s up to their ".", nothing parsed or kept), one
#              RETR at a time ("serial": what is left is Dovecot's time per message and one
#              loopback round trip, which no one-at-a-time client gets below) and all RETRs
#              written at once ("pipelined": Dovecot announces PIPELINING; neither poplib nor
#              netscript's retr() pipelines).
# Target (issue 11): netscript >= 2x poplib (judged on retr_each, the plugin's way to fetch
# a mailbox; the retr() loop is reported beside it); peak RSS (/usr/bin/time -v) and client CPU are
# reported. Both sides use Dovecot's plain POP3 port (no TLS), one RETR at a time (POP3 has
# no batch retrieval, and neither client pipelines), keep no message but the middle one
# (written to a file after the timing, compared byte for byte) and add up the bytes RETR gave
# (CRLF, dot-unstuffed: poplib's octets); each times itself from its connect to the end of
# its QUIT (start-up excluded). The runs are interleaved RUNS times (default 3) and the
# medians compared; every run must get COUNT messages and the same bytes on both sides.
# Dovecot is the test harness's (tests/common/mail_servers.rs), started by the ignored test
# `hold_servers_for_a_benchmark` (tests/mail_servers.rs, debug profile) with
# NETSCRIPT_HOLD_SEED=carol:COUNT:SIZE: the harness writes the messages straight into carol's
# Maildir (headers + 78-character text lines, LF on disk, CRLF on the wire). An untimed
# warm-up pass (poplib) comes first: Dovecot indexes the Maildir at its first access, and the
# first session's QUIT marks every retrieved message \Seen (renaming its file); later sessions
# change nothing. The harness's temp dir (the Maildir, read from the page cache either way) is
# on tmpfs unless NETSCRIPT_TEST_TMPDIR says otherwise, so seeding and deleting it touch no
# disk (on ext4, file creation stays slow for minutes after thousands of deletions).
# The plugin is built once if missing, as the brief for issue 11 says (the host's Cargo.lock
# copied beside plugins/pop3/Cargo.toml, CARGO_TARGET_DIR=target/release/outside-plugins/target,
# --release --offline): PLUGIN=path uses another build.
#   COUNT=500 SIZE=20000 RUNS=3 NETSCRIPT_TEST_TMPDIR=/dev/shm NETSCRIPT=path PLUGIN=path
#   PY=/usr/bin/python3
source "$(dirname "$0")/../lib.sh"
here="$(cd "$(dirname "$0")" && pwd)"
COUNT="${COUNT:-500}"
SIZE="${SIZE:-20000}"
RUNS="${RUNS:-3}"
PY="${PY:-/usr/bin/python3}"
export NETSCRIPT_TEST_TMPDIR="${NETSCRIPT_TEST_TMPDIR:-/dev/shm}"
PLUGIN="${PLUGIN:-$BENCH_ROOT/target/release/outside-plugins/target/release/libnetscript_pop3.so}"
TARGET=2

ensure_netscript
ensure_tool /usr/bin/time time
require_servers postfix dovecot
if [ ! -e "$PLUGIN" ]; then
    echo "building the pop3 plugin outside the workspace (release)…"
    (cd "$BENCH_ROOT" && cp Cargo.lock plugins/pop3/Cargo.lock \
        && CARGO_TARGET_DIR="$BENCH_ROOT/target/release/outside-plugins/target" \
            cargo build --quiet --release --offline --manifest-path plugins/pop3/Cargo.toml)
fi

work="$(mktemp -d /tmp/ns-bench-pop3.XXXXXX)"
cleanup() {
    release_mail_servers
    rm -rf "$work"
}
trap cleanup EXIT

echo "starting the test harness's Dovecot with $COUNT messages of ~$SIZE bytes (cargo test --test mail_servers, debug; builds it if needed)…"
NETSCRIPT_HOLD_SEED="carol:$COUNT:$SIZE" hold_mail_servers "$work" || exit 1
[ "${seed_count:-}" = "$COUNT" ] || { echo "the harness seeded ${seed_count:-nothing}, not $COUNT messages" >&2; exit 1; }

echo "machine: $(machine), load average $(cut -d' ' -f1-3 /proc/loadavg); Dovecot $(dovecot --version); $("$PY" --version); $("$NETSCRIPT" --version | head -1); plugin $PLUGIN"
echo "Dovecot (pid $dovecot_pid) POP3 127.0.0.1:$pop3_port, $seed_user: $seed_count messages, $seed_bytes bytes on disk (LF); Maildir in $NETSCRIPT_TEST_TMPDIR ($(stat -f -c %T "$NETSCRIPT_TEST_TMPDIR")); $RUNS runs"

# run SIDE: one timed run; leaves the milliseconds in MS, the bytes in BYTES, the peak RSS in
# KB in RSS, the CPU time (user + system) in ms in CPU; the middle message in $work/SIDE.eml.
run() {
    local cmd
    case "$1" in
        netscript) cmd=("$NETSCRIPT" --plugin "$PLUGIN" "$here/retr.rhai") ;;
        netscript_each) cmd=("$NETSCRIPT" --plugin "$PLUGIN" "$here/retr.rhai") ;;
        poplib) cmd=("$PY" "$here/retr.py") ;;
    esac
    cmd+=(127.0.0.1 "$pop3_port" "$seed_user" "$seed_password" "$work/$1.eml")
    [ "$1" = netscript_each ] && cmd+=(each)
    /usr/bin/time -v -o "$work/time.txt" "${cmd[@]}" >"$work/run.out" 2>"$work/run.err" \
        || { echo "$1 failed: $(cat "$work/run.err")" >&2; exit 1; }
    local count
    read -r count BYTES MS <"$work/run.out"
    [ "$count" = "$COUNT" ] || { echo "$1 got $count of $COUNT messages" >&2; exit 1; }
    RSS=$(time_field "$work/time.txt" "Maximum resident set size")
    CPU=$(cpu_ms "$work/time.txt")
}

echo "warm-up (untimed): poplib…"
run poplib
expected_bytes=$BYTES

ns=(); each=(); py=(); serial=(); pipelined=(); rss_ns=(); rss_each=(); rss_py=(); cpu_ns=(); cpu_each=(); cpu_py=()
floor() { # floor MODE: leaves the milliseconds in MS
    "$PY" "$here/floor.py" 127.0.0.1 "$pop3_port" "$seed_user" "$seed_password" "$COUNT" "$1" \
        >"$work/run.out" 2>"$work/run.err" || { echo "floor $1 failed: $(cat "$work/run.err")" >&2; exit 1; }
    read -r _ MS <"$work/run.out"
}
for r in $(seq "$RUNS"); do
    run netscript; ns+=("$MS"); rss_ns+=("$RSS"); cpu_ns+=("$CPU"); b_ns=$BYTES
    run netscript_each; each+=("$MS"); rss_each+=("$RSS"); cpu_each+=("$CPU"); b_each=$BYTES
    run poplib; py+=("$MS"); rss_py+=("$RSS"); cpu_py+=("$CPU"); b_py=$BYTES
    floor serial; serial+=("$MS")
    floor pipelined; pipelined+=("$MS")
    if [ "$b_ns" != "$expected_bytes" ] || [ "$b_each" != "$expected_bytes" ] || [ "$b_py" != "$expected_bytes" ]; then
        echo "run $r: bytes differ (netscript $b_ns / $b_each, poplib $b_py, warm-up $expected_bytes)" >&2
        exit 1
    fi
    cmp -s "$work/netscript_each.eml" "$work/poplib.eml" \
        || { echo "run $r: the middle message differs (retr_each)" >&2; exit 1; }
    cmp -s "$work/netscript.eml" "$work/poplib.eml" \
        || { echo "run $r: the middle message differs: $(cmp "$work/netscript.eml" "$work/poplib.eml" 2>&1)" >&2; exit 1; }
    printf 'run %s: netscript retr %.0f ms, retr_each %.0f ms, poplib %.0f ms, raw-socket floor serial %.0f ms, pipelined %.0f ms\n' \
        "$r" "${ns[-1]}" "${each[-1]}" "${py[-1]}" "${serial[-1]}" "${pipelined[-1]}"
done
echo "checked: every run got $COUNT messages, $expected_bytes bytes (CRLF) on both sides; message $(( (COUNT + 1) / 2 )) the same $(stat -c %s "$work/netscript.eml") bytes from both"

per_s() { awk -v n="$COUNT" -v ms="$1" 'BEGIN { printf "%.0f", n * 1000 / ms }'; }
mns=$(median "${ns[@]}"); meach=$(median "${each[@]}"); mpy=$(median "${py[@]}")
echo "medians of $RUNS runs ($COUNT messages, connect to QUIT):"
line() { printf '%-36s %7.0f ms %6s msg/s  peak RSS %5s MB  client CPU %s ms\n' "$1" "$2" "$(per_s "$2")" "$(mb "$3")" "$4"; }
line "netscript retr() loop (--plugin)" "$mns" "$(median "${rss_ns[@]}")" "$(median "${cpu_ns[@]}")"
line "netscript retr_each (pipelined)" "$meach" "$(median "${rss_each[@]}")" "$(median "${cpu_each[@]}")"
line "poplib" "$mpy" "$(median "${rss_py[@]}")" "$(median "${cpu_py[@]}")"
mser=$(median "${serial[@]}"); mpip=$(median "${pipelined[@]}")
printf '%-36s %7.0f ms %6s msg/s  (reported only)\n' "raw-socket floor, serial (floor.py)" "$mser" "$(per_s "$mser")"
printf '%-36s %7.0f ms %6s msg/s  (reported only)\n' "raw-socket floor, pipelined" "$mpip" "$(per_s "$mpip")"
r=$(ratio "$mpy" "$meach"); echo "poplib time / netscript retr_each: ${r}x (target >= ${TARGET}x) $(verdict "$r" "$TARGET")"
echo "poplib time / netscript retr() loop: $(ratio "$mpy" "$mns")x (reported only: one RETR at a time, as poplib)"
echo "poplib time / raw-socket floor: serial $(ratio "$mpy" "$mser")x, pipelined $(ratio "$mpy" "$mpip")x (the most a client reaches one RETR at a time, and with every RETR in flight)"
