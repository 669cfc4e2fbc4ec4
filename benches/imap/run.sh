#!/usr/bin/env bash
# The imap benchmark: COUNT (2000) messages of ~SIZE (20,000) bytes from one real Dovecot to
# disk, one file per message, in this same run:
#   netscript  "to": c.fetch_to("1:*", dir) (fetch.rhai): one FETCH 1:* (UID BODY.PEEK[]),
#              each message written to dir/<uid>.eml as it arrives (temp file, fsync,
#              rename: the host's atomic file), one message in memory at a time;
#   netscript  "parallel": parallel over 4 more connections, each fetch_to of a quarter of
#              the messages (by sequence number) into the same folder;
#   netscript  "each", reported only: c.fetch_each("1:*", "(UID BODY.PEEK[])", |m| …)
#              counting messages and bytes, writing nothing: the network and the parsing
#              without the disk;
#   imaplib    "plain", the peer: imaplib.IMAP4, m.fetch("1:*", "(UID BODY.PEEK[])") in one
#              command (as netscript: one command, the same FETCH; CHUNK=n splits it into
#              commands of n messages), then open(dir/<uid>.eml, "wb").write(body) per message
#              (fetch.py, Debian's /usr/bin/python3);
#   imaplib    "durable", reported only: the same, each file written as fetch_to does (temp
#              file, fsync, rename), so the cost of fsync shows on both sides;
#   floor      reported only: a raw-socket client doing the least IMAP allows (floor.py: the
#              same FETCH read in 1 MiB recv()s, nothing parsed, nothing kept): what is left is
#              mostly Dovecot's time to send the mailbox, which no one-connection client gets
#              below.
# Target (issue 11): netscript "to" >= 2x imaplib "plain", netscript's peak RSS <= 64 MB
# (/usr/bin/time -v), reported. Every side uses one plain connection (no TLS) to Dovecot's
# IMAP port, logs in as the seeded user, selects INBOX, fetches every message and logs out;
# each times itself from its connect to the end of its LOGOUT (process start-up excluded).
# The runs are interleaved RUNS times (default 3), each into a fresh folder, and the medians
# compared. A `sync` (untimed) follows the seeding and each writing run, so no run pays for
# another's writeback; the folders are deleted only at the end (on ext4 a run right after
# deleting 2000 files was up to 3x slower). Checks: every run got COUNT messages and the same
# total bytes on every side; the last runs' folders hold COUNT files each with the same total
# size, and one message (the middle UID) is byte for byte the same from netscript and imaplib.
# Dovecot is the test harness's (tests/common/mail_servers.rs), started by the ignored test
# `hold_servers_for_a_benchmark` (tests/mail_servers.rs, debug profile) with
# NETSCRIPT_HOLD_SEED=carol:COUNT:SIZE: the harness writes the messages straight into carol's
# Maildir (headers + 78-character text lines, LF on disk, CRLF on the wire) before Dovecot
# first serves it. Dovecot indexes the Maildir at its first access: an untimed warm-up pass
# (netscript "each") comes first, so every timed run sees a warm index and page cache.
# Where the files go: OUT_TMPDIR (default /tmp, a disk here: fsync costs a disk flush);
# OUT_TMPDIR=/dev/shm puts them on tmpfs (fsync costs nothing). On ext4, creating files is
# slower for a few minutes after many were deleted (ext4_create skips recently deleted
# inodes, reading the inode table to find them): runs on disk right after another bench (or
# anything that deleted thousands of files) are slower on every side. The harness's temp dir
# (Dovecot's Maildir, read from the page cache either way) is on tmpfs unless
# NETSCRIPT_TEST_TMPDIR says otherwise, so seeding and deleting it touch no disk.
#   COUNT=2000 SIZE=20000 RUNS=3 CHUNK=0 OUT_TMPDIR=/tmp NETSCRIPT_TEST_TMPDIR=/dev/shm
#   NETSCRIPT=path PY=/usr/bin/python3
source "$(dirname "$0")/../lib.sh"
here="$(cd "$(dirname "$0")" && pwd)"
COUNT="${COUNT:-2000}"
SIZE="${SIZE:-20000}"
RUNS="${RUNS:-3}"
CHUNK="${CHUNK:-0}"
OUT_TMPDIR="${OUT_TMPDIR:-/tmp}"
export NETSCRIPT_TEST_TMPDIR="${NETSCRIPT_TEST_TMPDIR:-/dev/shm}"
PY="${PY:-/usr/bin/python3}"
TARGET=2
RSS_LIMIT_MB=64

ensure_netscript
ensure_tool /usr/bin/time time
require_servers postfix dovecot

work="$(mktemp -d /tmp/ns-bench-imap.XXXXXX)"
out="$(mktemp -d "$OUT_TMPDIR/ns-bench-imap-out.XXXXXX")"
cleanup() {
    release_mail_servers
    rm -rf "$work" "$out"
}
trap cleanup EXIT

echo "starting the test harness's Dovecot with $COUNT messages of ~$SIZE bytes (cargo test --test mail_servers, debug; builds it if needed)…"
NETSCRIPT_HOLD_SEED="carol:$COUNT:$SIZE" hold_mail_servers "$work" || exit 1
[ "${seed_count:-}" = "$COUNT" ] || { echo "the harness seeded ${seed_count:-nothing}, not $COUNT messages" >&2; exit 1; }

echo "machine: $(machine), load average $(cut -d' ' -f1-3 /proc/loadavg); Dovecot $(dovecot --version); $("$PY" --version); $("$NETSCRIPT" --version | head -1)"
echo "Dovecot (pid $dovecot_pid) IMAP 127.0.0.1:$imap_port, $seed_user: $seed_count messages, $seed_bytes bytes on disk (LF); files to $OUT_TMPDIR ($(stat -f -c %T "$OUT_TMPDIR")), Maildir in $NETSCRIPT_TEST_TMPDIR ($(stat -f -c %T "$NETSCRIPT_TEST_TMPDIR")); imaplib FETCH $([ "$CHUNK" -gt 0 ] && echo "in commands of $CHUNK messages" || echo "1:* in one command"); $RUNS runs"

# run SIDE MODE DIR: one timed run; leaves the milliseconds in MS, the bytes in BYTES, the peak
# RSS in KB in RSS, the CPU time (user + system) in ms in CPU.
run() {
    local cmd
    case "$1" in
        netscript) cmd=("$NETSCRIPT" "$here/fetch.rhai") ;;
        imaplib) cmd=("$PY" "$here/fetch.py") ;;
    esac
    cmd+=(127.0.0.1 "$imap_port" "$seed_user" "$seed_password" "$3" "$2")
    if [ "$1" = imaplib ]; then cmd+=("$CHUNK"); fi
    /usr/bin/time -v -o "$work/time.txt" "${cmd[@]}" >"$work/run.out" 2>"$work/run.err" \
        || { echo "$1 $2 failed: $(cat "$work/run.err")" >&2; exit 1; }
    local count
    read -r count BYTES MS <"$work/run.out"
    [ "$count" = "$COUNT" ] || { echo "$1 $2 got $count of $COUNT messages" >&2; exit 1; }
    RSS=$(time_field "$work/time.txt" "Maximum resident set size")
    CPU=$(cpu_ms "$work/time.txt")
}
# files DIR: "files bytes" of what is in DIR.
files() { find "$1" -type f -printf '%s\n' | awk '{ n++; b += $1 } END { printf "%d %d", n, b }'; }
# settle: flushes what was left to write (untimed), so no run pays for another's writeback.
settle() { sync; }

settle
echo "warm-up (untimed): netscript each…"
run netscript each "$out/warm"
expected_bytes=$BYTES

to=(); par=(); each=(); plain=(); durable=(); floor=()
rss_to=(); rss_par=(); rss_each=(); rss_plain=(); rss_durable=()
cpu_to=(); cpu_par=(); cpu_each=(); cpu_plain=(); cpu_durable=()
for r in $(seq "$RUNS"); do
    run netscript to "$out/ns$r"; to+=("$MS"); rss_to+=("$RSS"); cpu_to+=("$CPU"); b_to=$BYTES
    settle
    run netscript parallel "$out/nsp$r"; par+=("$MS"); rss_par+=("$RSS"); cpu_par+=("$CPU"); b_par=$BYTES
    settle
    run netscript each "$out/none$r"; each+=("$MS"); rss_each+=("$RSS"); cpu_each+=("$CPU"); b_each=$BYTES
    run imaplib plain "$out/py$r"; plain+=("$MS"); rss_plain+=("$RSS"); cpu_plain+=("$CPU"); b_plain=$BYTES
    settle
    run imaplib durable "$out/pyd$r"; durable+=("$MS"); rss_durable+=("$RSS"); cpu_durable+=("$CPU"); b_durable=$BYTES
    settle
    "$PY" "$here/floor.py" 127.0.0.1 "$imap_port" "$seed_user" "$seed_password" >"$work/run.out" 2>"$work/run.err" \
        || { echo "floor failed: $(cat "$work/run.err")" >&2; exit 1; }
    read -r _ MS <"$work/run.out"; floor+=("$MS")
    for b in "$b_to" "$b_par" "$b_each" "$b_plain" "$b_durable"; do
        [ "$b" = "$expected_bytes" ] || {
            echo "run $r: bytes differ (netscript to $b_to, parallel $b_par, each $b_each, imaplib plain $b_plain, durable $b_durable; warm-up $expected_bytes)" >&2
            exit 1
        }
    done
    printf 'run %s: netscript fetch_to %.0f ms, parallel x4 %.0f ms, fetch_each (no files) %.0f ms, imaplib plain %.0f ms, imaplib durable %.0f ms, raw-socket floor %.0f ms\n' \
        "$r" "${to[-1]}" "${par[-1]}" "${each[-1]}" "${plain[-1]}" "${durable[-1]}" "${floor[-1]}"
done

# Correctness: the last runs' folders.
read -r ns_files ns_bytes <<<"$(files "$out/ns$RUNS")"
read -r par_files par_bytes <<<"$(files "$out/nsp$RUNS")"
[ "$par_files" = "$COUNT" ] && [ "$par_bytes" = "$ns_bytes" ] \
    || { echo "parallel wrote $par_files files, $par_bytes bytes; one connection $ns_files, $ns_bytes" >&2; exit 1; }
read -r py_files py_bytes <<<"$(files "$out/py$RUNS")"
middle=$(( (COUNT + 1) / 2 ))
if [ "$ns_files" != "$COUNT" ] || [ "$py_files" != "$COUNT" ] || [ "$ns_bytes" != "$py_bytes" ] \
    || [ "$ns_bytes" != "$expected_bytes" ] || ! cmp -s "$out/ns$RUNS/$middle.eml" "$out/py$RUNS/$middle.eml"; then
    echo "the files differ: netscript $ns_files files $ns_bytes bytes, imaplib $py_files files $py_bytes bytes, expected $COUNT files $expected_bytes bytes; $middle.eml: $(cmp "$out/ns$RUNS/$middle.eml" "$out/py$RUNS/$middle.eml" 2>&1)" >&2
    exit 1
fi
echo "checked: every run got $COUNT messages, $expected_bytes bytes (CRLF) on every side; the last runs wrote $COUNT files, $ns_bytes bytes each side, $middle.eml the same bytes from both"

per_s() { awk -v n="$COUNT" -v ms="$1" 'BEGIN { printf "%.0f", n * 1000 / ms }'; }
mib_s() { awk -v b="$expected_bytes" -v ms="$1" 'BEGIN { printf "%.0f", b / 1048576 * 1000 / ms }'; }
mpar=$(median "${par[@]}"); mto=$(median "${to[@]}"); meach=$(median "${each[@]}"); mplain=$(median "${plain[@]}"); mdur=$(median "${durable[@]}")
rto=$(median "${rss_to[@]}")
echo "medians of $RUNS runs ($COUNT messages, connect to LOGOUT):"
line() { printf '%-44s %7.0f ms %6s msg/s %4s MiB/s  peak RSS %5s MB  client CPU %s ms\n' "$1" "$2" "$(per_s "$2")" "$(mib_s "$2")" "$(mb "$3")" "$4"; }
line "netscript fetch_to (fsync per file)" "$mto" "$rto" "$(median "${cpu_to[@]}")"
line "netscript fetch_to, parallel x4 connections" "$mpar" "$(median "${rss_par[@]}")" "$(median "${cpu_par[@]}")"
line "netscript fetch_each, no files" "$meach" "$(median "${rss_each[@]}")" "$(median "${cpu_each[@]}")"
line "imaplib, plain writes" "$mplain" "$(median "${rss_plain[@]}")" "$(median "${cpu_plain[@]}")"
line "imaplib, fsync + rename per file" "$mdur" "$(median "${rss_durable[@]}")" "$(median "${cpu_durable[@]}")"
mfl=$(median "${floor[@]}")
printf '%-44s %7.0f ms %6s msg/s %4s MiB/s  (reported only)\n' "raw-socket floor, no files (floor.py)" "$mfl" "$(per_s "$mfl")" "$(mib_s "$mfl")"
r=$(ratio "$mplain" "$mto"); echo "imaplib plain / netscript fetch_to: ${r}x (target >= ${TARGET}x) $(verdict "$r" "$TARGET")"
r=$(ratio "$mplain" "$mpar"); echo "imaplib plain / netscript fetch_to parallel x4: ${r}x (target >= ${TARGET}x) $(verdict "$r" "$TARGET")"
echo "imaplib durable / netscript fetch_to: $(ratio "$mdur" "$mto")x (the same fsync + rename on both sides; reported only)"
echo "imaplib plain / netscript fetch_each (no files): $(ratio "$mplain" "$meach")x (reported only)"
echo "imaplib plain / raw-socket floor: $(ratio "$mplain" "$mfl")x (the most any one-connection client could reach: the floor writes no files)"
top=$(printf '%s\n' "${rss_to[@]}" "${rss_par[@]}" "${rss_each[@]}" | sort -g | tail -1)
echo "netscript peak RSS, the most of any run: $(mb "$top") MB (limit $RSS_LIMIT_MB MB) $(awk -v kb="$top" -v l="$RSS_LIMIT_MB" 'BEGIN { print (kb <= l * 1024) ? "OK" : "ABOVE LIMIT" }')"
