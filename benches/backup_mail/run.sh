#!/usr/bin/env bash
# The backup_mail benchmark: scripts/backup_mail.rhai as shipped against a Python stdlib
# script doing the same (backup_mail.py: imaplib + email.parser + hashlib + ftplib +
# smtplib), both as whole processes (start-up included), against real servers on loopback:
#   netscript  IMAP_PASSWORD=… FTP_PASSWORD=… netscript scripts/backup_mail.rhai ARCHIVE
#              --imap-host 127.0.0.1 --imap-port IMAPS --user carol@example.test --ca-file CA
#              --ftp-host 127.0.0.1 --ftp-port P --ftp-user ann --ftp-dir DIR
#              --report-to bob@example.test --smtp-host 127.0.0.1 --smtp-port PLAIN
#              --smtp-tls none   (--connections at its default; one folder, INBOX, anyway);
#   python     backup_mail.py, the same arguments (Debian's /usr/bin/python3): IMAP4_SSL with
#              a context trusting the CA file, EXAMINE, UID SEARCH, UID FETCH (UID
#              RFC822.SIZE BODY.PEEK[]) in commands of BATCH UIDs, the header fields with
#              email.parser.BytesHeaderParser, hashlib.sha256, each .eml written as
#              netscript's fs::write does (temp file in the folder, fsync, os.replace), the
#              same index.jsonl lines and .state.json (temp file, fsync, rename), ftplib
#              storbinary to NAME.part + RNFR/RNTO + SIZE check for every file the FTP folder
#              lacks (MLSD), smtplib sendmail of a short text report.
# Two cases, each RUNS times (default 3), interleaved (netscript, python, netscript, …), the
# medians compared:
#   first        a fresh archive and a fresh FTP folder: COUNT (2000) messages of ~SIZE
#                (20,000) bytes fetched over IMAPS, written, indexed, 2001 files uploaded,
#                one report mailed;
#   incremental  NEW (10) messages are then mailed to carol through Postfix (plain_port,
#                delivered by Dovecot's LMTP; the runner waits until EXAMINE counts them), and
#                each side runs again on the archive and FTP folder of one of its first runs:
#                NEW messages fetched, NEW .eml files and the grown index.jsonl uploaded.
# Every run has its own archive (ARCHIVE_TMPDIR/…/ns1, py1, …) and FTP folder (ns1, py1, …
# in ann's home); all read the same mailbox (EXAMINE is read-only). Wall clock from bash's
# EPOCHREALTIME around `/usr/bin/time -v`, which gives the peak RSS and CPU time (user +
# system). Targets (the workflows issue): the first run netscript >= 2x faster than Python;
# netscript's incremental run < 2 s and peak RSS <= 64 MB.
# Checks after every run: the archive holds COUNT (then COUNT + NEW) .eml files and as many
# index lines, no temp file, the state's last UID is the index's highest; the FTP folder holds
# exactly the archive's .eml files and index.jsonl at the same sizes (no .part). At the end:
# each pair of runs (nsN, pyN) indexed the same UIDs with the same fields (uidvalidity, file,
# date, from, subject, size, sha256, message_id) and a first and a new .eml are the same bytes
# on both sides; bob's INBOX got every report (subjects "mail backup: COUNT new" and
# "mail backup: NEW new").
# With PHASES=1 (default) the first run is also split, RUNS times more per side, interleaved
# and reported only: "IMAP only" (a fresh archive, no --ftp-host, no --report-to: start-up,
# IMAP, the files, the index and the state) and then "FTP only" on that archive (no new mail,
# a fresh FTP folder, no report: start-up, IMAP's check for new mail, the 2001 uploads),
# beside the upload step's floor (ftp_floor.py: a raw-socket client sending EPSV, STOR
# NAME.part, RNFR, RNTO, SIZE for each file of that archive and reading the replies, nothing
# else; timed from its connect to QUIT, start-up excluded), waiting for each reply, and
# pipelined (RNFR, RNTO and SIZE in one write).
# Servers: the test harness's Postfix + Dovecot (`hold_servers_for_a_benchmark`,
# tests/mail_servers.rs, seeding carol's INBOX with COUNT messages) and pure-ftpd
# (`hold_ftp_server_for_a_benchmark`, tests/ftp_server.rs), both held at once through
# benches/lib.sh (debug profile; built if needed). The Maildir lives in MAIL_TMPDIR (default
# /dev/shm, tmpfs); pure-ftpd's homes in FTP_TMPDIR (default: a tmpfs the runner mounts under
# /tmp for the run; not under /dev: the FTP harness overlays /dev in pure-ftpd's namespace).
# The archives go to ARCHIVE_TMPDIR (default /tmp: ext4 on disk here, where every fsync is a
# disk flush, as for a real backup); ARCHIVE_TMPDIR=/dev/shm puts them on tmpfs (fsync costs
# nothing). An untimed warm-up run of each side comes first (Dovecot indexes the Maildir at
# its first access) and a `sync` (untimed) after every run, so no run pays for another's
# writeback; the archives are deleted only at the end (on ext4 creating files right after
# deleting thousands is slower).
#   COUNT=2000 SIZE=20000 NEW=10 RUNS=3 BATCH=200 PHASES=1 ARCHIVE_TMPDIR=/tmp
#   MAIL_TMPDIR=/dev/shm FTP_TMPDIR=dir (default: a tmpfs of its own)
#   SCRIPT=scripts/backup_mail.rhai NETSCRIPT=path PY=/usr/bin/python3
source "$(dirname "$0")/../lib.sh"
here="$(cd "$(dirname "$0")" && pwd)"
COUNT="${COUNT:-2000}"
SIZE="${SIZE:-20000}"
NEW="${NEW:-10}"
RUNS="${RUNS:-3}"
BATCH="${BATCH:-200}"
PHASES="${PHASES:-1}"
ARCHIVE_TMPDIR="${ARCHIVE_TMPDIR:-/tmp}"
MAIL_TMPDIR="${MAIL_TMPDIR:-/dev/shm}"
FTP_TMPDIR="${FTP_TMPDIR:-}"
SCRIPT="${SCRIPT:-$BENCH_ROOT/scripts/backup_mail.rhai}"
PY="${PY:-/usr/bin/python3}"
TARGET=2
INCR_LIMIT_MS=2000
RSS_LIMIT_MB=64
server_tmpfs=""

ensure_netscript
ensure_tool /usr/bin/time time
require_servers postfix dovecot pure-ftpd

work="$(mktemp -d /tmp/ns-bench-backup.XXXXXX)"
out="$(mktemp -d "$ARCHIVE_TMPDIR/ns-bench-backup-out.XXXXXX")"
cleanup() {
    release_servers
    rm -rf "$work" "$out"
    if [ -n "$server_tmpfs" ]; then umount "$server_tmpfs" && rmdir "$server_tmpfs"; fi
}
trap cleanup EXIT
if [ -z "$FTP_TMPDIR" ]; then
    server_tmpfs="$(mktemp -d /tmp/ns-bench-backup-ftp.XXXXXX)"
    mount -t tmpfs -o size=2g,mode=0755 ns-bench-backup-ftp "$server_tmpfs" \
        || { rmdir "$server_tmpfs"; server_tmpfs=""; echo "cannot mount a tmpfs for the FTP server" >&2; exit 1; }
    FTP_TMPDIR="$server_tmpfs"
fi
case "$FTP_TMPDIR" in
    /dev/*) echo "FTP_TMPDIR under /dev: the harness overlays /dev, pure-ftpd would not start" >&2; exit 1 ;;
esac

echo "starting the test harness's Postfix + Dovecot ($COUNT messages of ~$SIZE bytes for carol) and pure-ftpd (cargo test, debug; builds them if needed)…"
NETSCRIPT_TEST_TMPDIR="$MAIL_TMPDIR" NETSCRIPT_HOLD_SEED="carol:$COUNT:$SIZE" hold_mail_servers "$work/mail" || exit 1
[ "${seed_count:-}" = "$COUNT" ] || { echo "the harness seeded ${seed_count:-nothing}, not $COUNT messages" >&2; exit 1; }
mail_ca=$ca_file mail_user=$seed_user mail_password=$seed_password
NETSCRIPT_TEST_TMPDIR="$FTP_TMPDIR" hold_ftp_server "$work/ftp" || exit 1
ftp_port=$port ftp_user=$user ftp_password=$password ftp_home=$home
report_to=bob@example.test report_password=bob-secret-pw

echo "machine: $(machine), load average $(cut -d' ' -f1-3 /proc/loadavg); Dovecot $(dovecot --version | cut -d' ' -f1); Postfix $(postconf -d -h mail_version 2>/dev/null); pure-ftpd $(dpkg-query -W -f '${Version}' pure-ftpd 2>/dev/null); $("$PY" --version); $("$NETSCRIPT" --version | head -1)"
echo "IMAPS 127.0.0.1:$imaps_port ($mail_user, $seed_count messages, $seed_bytes bytes on disk), SMTP 127.0.0.1:$plain_port, FTP 127.0.0.1:$ftp_port ($ftp_user); archives in $ARCHIVE_TMPDIR ($(stat -f -c %T "$ARCHIVE_TMPDIR")), Maildir in $MAIL_TMPDIR ($(stat -f -c %T "$MAIL_TMPDIR")), FTP homes in $FTP_TMPDIR ($(stat -f -c %T "$FTP_TMPDIR")); script $SCRIPT; python UID FETCH in commands of $BATCH; $RUNS runs"

# command_of SIDE NAME [MODE]: the command line (in CMD) of SIDE backing up into $out/NAME and
# FTP folder NAME; MODE full (default), imap (no FTP, no report) or ftp (no report).
command_of() {
    local args=("$out/$2" --imap-host 127.0.0.1 --imap-port "$imaps_port" --user "$mail_user" --ca-file "$mail_ca")
    if [ "${3:-full}" != imap ]; then args+=(--ftp-host 127.0.0.1 --ftp-port "$ftp_port" --ftp-user "$ftp_user" --ftp-dir "$2"); fi
    if [ "${3:-full}" = full ]; then args+=(--report-to "$report_to" --smtp-host 127.0.0.1 --smtp-port "$plain_port"); fi
    case "$1" in
        netscript) CMD=("$NETSCRIPT" "$SCRIPT" "${args[@]}")
            if [ "${3:-full}" = full ]; then CMD+=(--smtp-tls none); fi ;;
        python) CMD=("$PY" "$here/backup_mail.py" "${args[@]}" --batch "$BATCH") ;;
    esac
}
# run SIDE NAME EXPECTED [MODE]: one timed run; leaves the milliseconds in MS, the peak RSS
# (KB) in RSS, the CPU time (ms) in CPU; checks the archive (and, unless MODE is imap, the FTP
# folder) hold EXPECTED messages.
run() {
    local t0 t1
    command_of "$1" "$2" "${4:-full}"
    t0=$EPOCHREALTIME
    IMAP_PASSWORD="$mail_password" FTP_PASSWORD="$ftp_password" \
        /usr/bin/time -v -o "$work/time.txt" "${CMD[@]}" >"$work/run.out" 2>"$work/run.err" \
        || { echo "$1 $2 failed: $(cat "$work/run.out" "$work/run.err")" >&2; exit 1; }
    t1=$EPOCHREALTIME
    MS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) * 1000 }')
    RSS=$(time_field "$work/time.txt" "Maximum resident set size")
    CPU=$(cpu_ms "$work/time.txt")
    check "$1" "$2" "$3" "${4:-full}"
    sync
}
# check SIDE NAME EXPECTED [MODE]
check() {
    local dir="$out/$2/INBOX" there="$ftp_home/$2/INBOX" emls lines tmps top last
    emls=$(find "$dir" -maxdepth 1 -name '*.eml' | wc -l)
    lines=$(wc -l <"$dir/index.jsonl")
    tmps=$(find "$dir" -maxdepth 1 -name '*.tmp' | wc -l)
    top=$("$PY" -c 'import json, sys; print(max(json.loads(l)["uid"] for l in open(sys.argv[1])))' "$dir/index.jsonl")
    last=$("$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["folders"]["INBOX"]["last_uid"])' "$out/$2/.state.json")
    [ "$emls" = "$3" ] && [ "$lines" = "$3" ] && [ "$tmps" = 0 ] && [ "$top" = "$last" ] || {
        echo "$1 $2: $emls .eml files, $lines index lines, $tmps temp files (expected $3, $3, 0); the state's last UID $last, the index's $top" >&2
        exit 1
    }
    if [ "${4:-full}" = imap ]; then return; fi
    (cd "$dir" && find . -maxdepth 1 -type f \( -name '*.eml' -o -name index.jsonl \) -printf '%f %s\n' | sort) >"$work/local.txt"
    (cd "$there" && find . -maxdepth 1 -type f -printf '%f %s\n' | sort) >"$work/remote.txt"
    cmp -s "$work/local.txt" "$work/remote.txt" || {
        echo "$1 $2: the FTP folder differs from the archive (name size, < archive, > FTP):" >&2
        diff "$work/local.txt" "$work/remote.txt" | head >&2
        exit 1
    }
}
# mailbox_count USER PASSWORD: EXAMINE INBOX's message count (plain IMAP).
mailbox_count() {
    "$PY" - "$imap_port" "$1" "$2" <<'EOF'
import imaplib, sys
m = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]))
m.login(sys.argv[2], sys.argv[3])
print(int(m.select("INBOX", readonly=True)[1][0]))
m.logout()
EOF
}
sides=(netscript python)
declare -A T R C
add() { T[$1]+="$MS "; R[$1]+="$RSS "; C[$1]+="$CPU "; }
prefix() { [ "$1" = netscript ] && echo ns || echo py; }

sync
echo "warm-up (untimed): each side once…"
for side in "${sides[@]}"; do run "$side" "warm-$(prefix "$side")" "$COUNT"; done

echo "first runs ($COUNT messages, fresh archive and FTP folder):"
for r in $(seq "$RUNS"); do
    line="run $r:"
    for side in "${sides[@]}"; do
        run "$side" "$(prefix "$side")$r" "$COUNT"; add "first:$side"
        line+=$(printf ' %s %.0f ms (RSS %s MB, CPU %s ms),' "$side" "$MS" "$(mb "$RSS")" "$CPU")
    done
    echo "${line%,}"
done
echo "checked: every first run left $COUNT .eml files and $COUNT index lines, no temp file, the state at the index's last UID, and the FTP folder the same $((COUNT + 1)) files at the same sizes, no .part"
if [ "$PHASES" = 1 ]; then
    echo "the first run split (reported only): IMAP only into a fresh archive, then FTP only from it to a fresh FTP folder:"
    for r in $(seq "$RUNS"); do
        line="run $r:"
        for side in "${sides[@]}"; do
            run "$side" "$(prefix "$side")i$r" "$COUNT" imap; add "imap:$side"
            line+=$(printf ' %s IMAP only %.0f ms (RSS %s MB, CPU %s ms),' "$side" "$MS" "$(mb "$RSS")" "$CPU")
            run "$side" "$(prefix "$side")i$r" "$COUNT" ftp; add "ftp:$side"
            line+=$(printf ' FTP only %.0f ms (RSS %s MB, CPU %s ms),' "$MS" "$(mb "$RSS")" "$CPU")
        done
        for pipelined in 0 1; do
            "$PY" "$here/ftp_floor.py" 127.0.0.1 "$ftp_port" "$ftp_user" "$ftp_password" "$out/nsi$r/INBOX" "floor$pipelined-$r" "$pipelined" \
                >"$work/run.out" 2>"$work/run.err" || { echo "ftp_floor.py failed: $(cat "$work/run.err")" >&2; exit 1; }
            read -r files MS <"$work/run.out"
            (cd "$ftp_home/floor$pipelined-$r" && find . -maxdepth 1 -type f -printf '%f %s\n' | sort) >"$work/remote.txt"
            (cd "$out/nsi$r/INBOX" && find . -maxdepth 1 -type f \( -name '*.eml' -o -name index.jsonl \) -printf '%f %s\n' | sort) >"$work/local.txt"
            [ "$files" = $((COUNT + 1)) ] && cmp -s "$work/local.txt" "$work/remote.txt" \
                || { echo "ftp_floor.py uploaded $files files, or not the archive's" >&2; exit 1; }
            T[floor$pipelined]+="$MS "
            line+=$(printf ' FTP floor%s %.0f ms,' "$([ "$pipelined" = 1 ] && echo " pipelined")" "$MS")
        done
        echo "${line%,}"
    done
    echo "checked: the same as a first run's, the FTP folder after the FTP-only run; the floor's FTP folders the same $((COUNT + 1)) files at the same sizes"
fi

echo "mailing $NEW new messages to $mail_user through Postfix (127.0.0.1:$plain_port)…"
"$PY" - "$plain_port" "$mail_user" "$COUNT" "$NEW" "$SIZE" <<'EOF'
import smtplib, sys
port, to, count, new, size = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
line = "the quick brown fox jumps over the lazy dog; pack my box with five dozen liquor jugs"[:65]
with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
    for n in range(count + 1, count + new + 1):
        body = "".join(f"{n:06} {i:05} {line}\r\n" for i in range(max(1, size // 79)))
        msg = (f"From: Bench <bench@example.test>\r\nTo: <{to}>\r\nSubject: new message {n}\r\n"
               f"Date: Wed, 15 Nov 2023 10:00:00 +0000\r\nMessage-ID: <bench-new-{n}@example.test>\r\n"
               f"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n{body}")
        s.sendmail("bench@example.test", [to], msg.encode())
EOF
for _ in $(seq 200); do
    n=$(mailbox_count "$mail_user" "$mail_password")
    [ "$n" -ge $((COUNT + NEW)) ] && break
    sleep 0.1
done
[ "$n" = $((COUNT + NEW)) ] || { echo "carol's INBOX holds $n messages, not $((COUNT + NEW))" >&2; exit 1; }
sync

echo "incremental runs ($NEW new messages, on the archive and FTP folder of the first run of the same number):"
for r in $(seq "$RUNS"); do
    line="run $r:"
    for side in "${sides[@]}"; do
        run "$side" "$(prefix "$side")$r" $((COUNT + NEW)); add "incr:$side"
        line+=$(printf ' %s %.0f ms (RSS %s MB, CPU %s ms),' "$side" "$MS" "$(mb "$RSS")" "$CPU")
    done
    echo "${line%,}"
done
echo "checked: every incremental run left $((COUNT + NEW)) .eml files and index lines, no temp file, the state at the index's last UID, and the FTP folder the same $((COUNT + NEW + 1)) files at the same sizes, no .part"

# Both sides archived the same messages the same way.
for r in $(seq "$RUNS"); do
    "$PY" - "$out/ns$r/INBOX/index.jsonl" "$out/py$r/INBOX/index.jsonl" "$COUNT" "$NEW" <<'EOF' || exit 1
import json, sys
ns, py = ({e["uid"]: e for e in map(json.loads, open(p))} for p in sys.argv[1:3])
count, new = int(sys.argv[3]), int(sys.argv[4])
if ns != py:
    diff = [(u, ns.get(u), py.get(u)) for u in sorted(set(ns) | set(py)) if ns.get(u) != py.get(u)]
    sys.exit(f"the indexes differ at {len(diff)} UIDs, the first: {diff[0]}")
assert len(ns) == count + new and sum(1 for e in ns.values() if e["subject"].startswith("new message")) == new, "not the new messages"
EOF
    for f in "$(ls "$out/ns$r/INBOX" | grep -m1 -- '-1.eml$')" "$(ls "$out/ns$r/INBOX" | grep -- "-$((COUNT + NEW)).eml$" | head -1)"; do
        cmp -s "$out/ns$r/INBOX/$f" "$out/py$r/INBOX/$f" || { echo "run $r: $f differs between netscript and python" >&2; exit 1; }
    done
done
reports=$((2 + 2 * RUNS))
for _ in $(seq 100); do
    [ "$(mailbox_count "$report_to" "$report_password")" -ge $((2 * reports - 2)) ] && break
    sleep 0.1
done
subjects=$("$PY" - "$imap_port" "$report_to" "$report_password" <<'EOF'
import collections, imaplib, sys
m = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]))
m.login(sys.argv[2], sys.argv[3])
m.select("INBOX", readonly=True)
typ, data = m.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
c = collections.Counter(item[1].decode().strip() for item in data if isinstance(item, tuple))
print("; ".join(f"{n}x {s}" for s, n in sorted(c.items())))
m.logout()
EOF
)
expected="$reports""x Subject: mail backup: $COUNT new; $((reports - 2))x Subject: mail backup: $NEW new"
[ "$subjects" = "$expected" ] || [ "$subjects" = "$((reports - 2))x Subject: mail backup: $NEW new; ${reports}x Subject: mail backup: $COUNT new" ] \
    || { echo "bob's INBOX: $subjects; expected $expected" >&2; exit 1; }
echo "checked: each pair of runs indexed the same $((COUNT + NEW)) UIDs with the same fields (the $NEW new ones among them), the first and the last .eml the same bytes on both sides; bob got every report ($subjects)"

med() { median ${T[$1]}; }
echo "medians of $RUNS runs (whole processes, wall clock):"
kinds=(first incr)
if [ "$PHASES" = 1 ]; then kinds+=(imap ftp); fi
for kind in "${kinds[@]}"; do
    case "$kind" in
        first) what="first run ($COUNT)" ;;
        incr) what="incremental ($NEW new)" ;;
        imap) what="first run: IMAP only" ;;
        ftp) what="first run: FTP only" ;;
    esac
    for side in "${sides[@]}"; do
        printf '%-22s %-9s %7.0f ms  peak RSS %5s MB  CPU %5s ms\n' "$what" "$side" "$(med "$kind:$side")" \
            "$(mb "$(median ${R[$kind:$side]})")" "$(median ${C[$kind:$side]})"
    done
done
r=$(ratio "$(med first:python)" "$(med first:netscript)")
echo "first run: python time / netscript: ${r}x (target >= ${TARGET}x) $(verdict "$r" "$TARGET")"
if [ "$PHASES" = 1 ]; then
    printf '%-22s %-9s %7.0f ms  (connect to QUIT, start-up excluded; reported only)\n' "upload floor" "raw" "$(med floor0)"
    printf '%-22s %-9s %7.0f ms  (RNFR, RNTO, SIZE in one write; reported only)\n' "upload floor" "pipelined" "$(med floor1)"
    echo "first run split: python time / netscript: IMAP only $(ratio "$(med imap:python)" "$(med imap:netscript)")x, FTP only $(ratio "$(med ftp:python)" "$(med ftp:netscript)")x (reported only)"
fi
r2=$(ratio "$(med incr:python)" "$(med incr:netscript)")
echo "incremental: python time / netscript: ${r2}x (reported only)"
mi=$(med incr:netscript)
echo "incremental: netscript $(printf '%.0f' "$mi") ms (target < $INCR_LIMIT_MS ms) $(awk -v m="$mi" -v l="$INCR_LIMIT_MS" 'BEGIN { print (m < l) ? "OK" : "ABOVE TARGET" }')"
top=$(printf '%s\n' ${R[first:netscript]} ${R[incr:netscript]} | sort -g | tail -1)
echo "netscript peak RSS, the most of any run: $(mb "$top") MB (limit $RSS_LIMIT_MB MB) $(awk -v kb="$top" -v l="$RSS_LIMIT_MB" 'BEGIN { print (kb <= l * 1024) ? "OK" : "ABOVE LIMIT" }')"
