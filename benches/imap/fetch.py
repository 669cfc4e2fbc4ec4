"""IMAP benchmark, imaplib side: argv = [host, port, user, password, dir, mode, chunk].
One plain imaplib.IMAP4 connection (no TLS), login, select("INBOX"), then every message:
FETCH 1:* (UID BODY.PEEK[]) in one command (chunk 0, the default: imaplib reads the whole
reply into memory before it returns), or in commands of `chunk` messages (1:500, 501:1000, …),
each message written as dir/<uid>.eml; then logout.
mode "plain" (default): open(path, "wb").write(body), as an imaplib script would;
mode "durable": what netscript's fetch_to does per file: a temp file in dir, fsync, rename.
Timed from the connect to the logout's end (start-up excluded); prints
"messages bytes milliseconds"."""
import imaplib
import os
import re
import sys
import time

host, port, user, password, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
mode = sys.argv[6] if len(sys.argv) > 6 else "plain"
chunk = int(sys.argv[7]) if len(sys.argv) > 7 else 0
if mode not in ("plain", "durable"):
    sys.exit(f"unknown mode {mode} (plain, durable)")
UID = re.compile(rb"\bUID (\d+)")


def write(uid, body):
    path = os.path.join(out, f"{uid}.eml")
    if mode == "plain":
        with open(path, "wb") as f:
            f.write(body)
    else:
        tmp = os.path.join(out, f".{uid}.eml.tmp")
        with open(tmp, "wb") as f:
            f.write(body)
            f.flush()
            os.fsync(f.fileno())
        os.rename(tmp, path)


started = time.perf_counter()
m = imaplib.IMAP4(host, port, timeout=60)
m.login(user, password)
typ, data = m.select("INBOX")
exists = int(data[0])
os.makedirs(out, exist_ok=True)
if chunk <= 0:
    sets = ["1:*"]
else:
    sets = [f"{first}:{min(first + chunk - 1, exists)}" for first in range(1, exists + 1, chunk)]
count = nbytes = 0
for ids in sets:
    typ, data = m.fetch(ids, "(UID BODY.PEEK[])")
    if typ != "OK":
        sys.exit(f"FETCH {ids}: {typ} {data}")
    for item in data:
        # ("1 (UID 1 BODY[] {20246}", body) then ")" per message.
        if not isinstance(item, tuple):
            continue
        head, body = item
        uid = UID.search(head).group(1).decode()
        write(uid, body)
        count += 1
        nbytes += len(body)
    del data
m.logout()
took = time.perf_counter() - started
print(f"{count} {nbytes} {took * 1000:.1f}")
