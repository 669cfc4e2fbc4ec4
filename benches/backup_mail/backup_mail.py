#!/usr/bin/env python3
"""The peer of scripts/backup_mail.rhai for benches/backup_mail: the same backup written
the way a Python programmer would, with the standard library only (imaplib, email, hashlib,
ftplib, smtplib).

    IMAP_PASSWORD=… FTP_PASSWORD=… backup_mail.py ARCHIVE --imap-host HOST --imap-port PORT \
        --user USER --ca-file PEM --ftp-host HOST --ftp-port PORT --ftp-user USER \
        --ftp-dir DIR --report-to ADDRESS --smtp-host HOST --smtp-port PORT [--batch N]

1. INBOX (or each --folder) is read read-only (EXAMINE) over IMAP with implicit TLS, the
   context trusting --ca-file. UID SEARCH gives the UIDs above the last one archived; they
   are fetched with UID FETCH (UID RFC822.SIZE BODY.PEEK[]) in commands of --batch UIDs
   (default 200: imaplib holds a whole reply in memory). Each message goes to
   ARCHIVE/FOLDER/UIDVALIDITY-UID.eml as netscript's fs::write does it: a temp file in the
   same folder, written, fsync'd, renamed over the name (os.replace); and gets a line in
   ARCHIVE/FOLDER/index.jsonl (uid, uidvalidity, file, date, from, subject, size, sha256,
   message_id; the header fields read with email.parser.BytesHeaderParser).
2. ARCHIVE/.state.json keeps each folder's UIDVALIDITY and last UID (written the same way:
   temp file, fsync, rename), under an flock on ARCHIVE/.state.json.lock.
3. Every archive file the FTP folder lacks (MLSD) or holds at another size is uploaded with
   storbinary as NAME.part, renamed to NAME and checked with SIZE.
4. A short text report is mailed with smtplib (no TLS, no AUTH: the bench's Postfix port).
"""
import argparse
import email.policy
import email.utils
import fcntl
import ftplib
import hashlib
import imaplib
import json
import os
import re
import smtplib
import ssl
import sys
import tempfile
import time
from email.message import EmailMessage
from email.parser import BytesHeaderParser


def parse_args():
    p = argparse.ArgumentParser(description="Back up IMAP mail to a local archive, upload it to FTP, mail a report.")
    p.add_argument("archive")
    p.add_argument("--imap-host", required=True)
    p.add_argument("--imap-port", type=int, default=993)
    p.add_argument("--user", required=True)
    p.add_argument("--folder", action="append")
    p.add_argument("--ca-file")
    p.add_argument("--batch", type=int, default=200, help="UIDs per UID FETCH")
    p.add_argument("--ftp-host")
    p.add_argument("--ftp-port", type=int, default=21)
    p.add_argument("--ftp-user")
    p.add_argument("--ftp-dir", default="mail-backup")
    p.add_argument("--report-to")
    p.add_argument("--report-from")
    p.add_argument("--smtp-host")
    p.add_argument("--smtp-port", type=int, default=25)
    p.add_argument("--timeout", type=float, default=30.0)
    return p.parse_args()


def dir_name(folder):
    name = folder.replace("/", "_").replace("\\", "_")
    if name.startswith("."):
        name = "_" + name[1:]
    return name or "_"


def write_atomic(path, data):
    """Temp file in the same folder, fsync, rename: what netscript's fs::write does."""
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".py-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def read_index(path):
    entries = []
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                try:
                    entries.append(json.loads(line))
                except ValueError:
                    pass  # a line cut by a crash
    except FileNotFoundError:
        pass
    return entries


FETCH_UID = re.compile(rb"UID (\d+)")


def header_fields(raw):
    """(date in RFC 3339, the sender's address, the subject decoded, the Message-ID)."""
    head = BytesHeaderParser(policy=email.policy.default).parsebytes(raw)
    date, sender, subject, message_id = head["Date"], head["From"], head["Subject"], head["Message-ID"]
    return (date.datetime.isoformat().replace("+00:00", "Z") if date and date.datetime else "",
            sender.addresses[0].addr_spec if sender and sender.addresses else "",
            str(subject or ""), str(message_id or "").strip())


def backup_folder(imap, folder, archive, known, batch):
    folder_dir = os.path.join(archive, dir_name(folder))
    os.makedirs(folder_dir, exist_ok=True)
    index_path = os.path.join(folder_dir, "index.jsonl")
    index = read_index(index_path)
    typ, data = imap.select(folder, readonly=True)  # EXAMINE
    if typ != "OK":
        raise RuntimeError(f"EXAMINE {folder}: {data}")
    exists = int(data[0])
    validity = int(imap.response("UIDVALIDITY")[1][0])
    last = known["last_uid"] if known and known["uidvalidity"] == validity else 0
    for e in index:
        if e["uidvalidity"] == validity and e["uid"] > last:
            last = e["uid"]
    uids = []
    if exists:
        typ, data = imap.uid("SEARCH", f"UID {last + 1}:*")
        uids = [u for u in map(int, data[0].split()) if u > last]
    added = size = 0
    with open(index_path, "a", encoding="utf-8") as index_file:
        for i in range(0, len(uids), batch):
            chunk = ",".join(map(str, uids[i:i + batch]))
            typ, data = imap.uid("FETCH", chunk, "(UID RFC822.SIZE BODY.PEEK[])")
            if typ != "OK":
                raise RuntimeError(f"UID FETCH: {data}")
            for item in data:
                if not isinstance(item, tuple):
                    continue  # the b")" closing each message
                uid = int(FETCH_UID.search(item[0]).group(1))
                body = item[1]
                date, sender, subject, message_id = header_fields(body)
                name = f"{validity}-{uid}.eml"
                write_atomic(os.path.join(folder_dir, name), body)
                entry = {"uid": uid, "uidvalidity": validity, "file": name, "date": date, "from": sender,
                         "subject": subject, "size": len(body), "sha256": hashlib.sha256(body).hexdigest(),
                         "message_id": message_id}
                index_file.write(json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n")
                added += 1
                size += len(body)
    top = max([last] + uids)
    return {"uidvalidity": validity, "last_uid": top, "dir": dir_name(folder), "added": added, "bytes": size}


def upload(ftp, archive, remote_root, dirs):
    files = size = 0
    try:
        ftp.mkd(remote_root)
    except ftplib.error_perm:
        pass  # already there
    for d in dirs:
        remote = f"{remote_root}/{d}"
        try:
            ftp.mkd(remote)
        except ftplib.error_perm:
            pass
        there = {}
        for name, facts in ftp.mlsd(remote, facts=["type", "size"]):
            if facts.get("type") != "file":
                continue
            if name.endswith(".part"):
                ftp.delete(f"{remote}/{name}")  # an upload cut by a killed run
                continue
            there[name] = int(facts["size"])
        for name in sorted(os.listdir(os.path.join(archive, d))):
            if not (name.endswith(".eml") or name == "index.jsonl"):
                continue
            local = os.path.join(archive, d, name)
            local_size = os.path.getsize(local)
            if there.get(name) == local_size:
                continue
            target = f"{remote}/{name}"
            with open(local, "rb") as f:
                ftp.storbinary(f"STOR {target}.part", f)
            ftp.rename(f"{target}.part", target)
            if ftp.size(target) != local_size:
                raise RuntimeError(f"{target}: {ftp.size(target)} bytes on the server, {local_size} here")
            files += 1
            size += local_size
    return files, size


def main():
    args = parse_args()
    folders = args.folder or ["INBOX"]
    archive = args.archive.rstrip("/") or "/"
    password = os.environ["IMAP_PASSWORD"]
    started = time.monotonic()
    os.makedirs(archive, exist_ok=True)
    state_path = os.path.join(archive, ".state.json")
    lock = open(state_path + ".lock", "a")
    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    try:
        with open(state_path, encoding="utf-8") as f:
            state = json.load(f)
    except FileNotFoundError:
        state = {}
    state.setdefault("folders", {})

    context = ssl.create_default_context(cafile=args.ca_file)
    results = {}
    with imaplib.IMAP4_SSL(args.imap_host, args.imap_port, ssl_context=context, timeout=args.timeout) as imap:
        imap.login(args.user, password)
        for folder in folders:
            results[folder] = backup_folder(imap, folder, archive, state["folders"].get(folder), args.batch)
    for folder, r in results.items():
        state["folders"][folder] = {"uidvalidity": r["uidvalidity"], "last_uid": r["last_uid"], "dir": r["dir"]}
    state["last_run"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    write_atomic(state_path, (json.dumps(state, indent=2) + "\n").encode())

    files = size = 0
    if args.ftp_host:
        with ftplib.FTP() as ftp:
            ftp.connect(args.ftp_host, args.ftp_port, timeout=args.timeout)
            ftp.login(args.ftp_user or "anonymous", os.environ.get("FTP_PASSWORD", ""))
            files, size = upload(ftp, archive, args.ftp_dir, [r["dir"] for r in results.values()])
            ftp.quit()

    added = sum(r["added"] for r in results.values())
    summary = (f"{added} new messages archived from {len(results)} folder(s) in "
               f"{time.monotonic() - started:.1f} s, {files} files ({size} bytes) uploaded")
    table = "\n".join(f"{folder}  uidvalidity {r['uidvalidity']}  last uid {r['last_uid']}  added {r['added']}"
                      for folder, r in results.items())
    if args.report_to:
        sender = args.report_from or args.user
        msg = EmailMessage()
        msg["From"] = sender
        msg["To"] = args.report_to
        msg["Subject"] = f"mail backup: {added} new"
        msg["Date"] = email.utils.formatdate(localtime=True)
        msg["Message-ID"] = email.utils.make_msgid()
        msg.set_content(f"{summary}.\n\n{table}\n")
        with smtplib.SMTP(args.smtp_host, args.smtp_port, timeout=args.timeout) as smtp:
            smtp.sendmail(sender, [args.report_to], msg.as_bytes())
    print(table)
    print(summary)
    fcntl.flock(lock, fcntl.LOCK_UN)


if __name__ == "__main__":
    sys.exit(main())
