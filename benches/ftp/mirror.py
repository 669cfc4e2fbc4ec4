"""FTP benchmark, ftplib side of the mirror: what scripts/ftp_mirror.rhai does without --down,
--delete or --dry-run, with ftplib.
Run: FTP_PASSWORD=… python3 mirror.py LOCAL REMOTE --host HOST [--port PORT] [--user USER]

The same steps and the same comparison as the netscript script, over one connection: connect
and login; every local file under LOCAL (os.scandir, subfolders included) with its size and
mtime (whole seconds, as fs::mtime); every remote file under REMOTE with MLSD (one listing
per folder, recursively) and its size and `modify` (YYYYMMDDHHMMSS UTC as seconds); a remote
folder that is not there (MLSD refused with a 5xx) is made with MKD and holds nothing. A
file is sent (storbinary "STOR REMOTE/path", ftplib's default blocksize) when the remote side
lacks it, has another size or an older time; the folders on the way are made once each
(MKD, a refusal ignored). Prints "put PATH (N bytes)" per file and the same summary line as
the netscript script; exit status 0, or 1 when a file failed or the server could not be used."""
import calendar
import ftplib
import os
import sys


def seconds_of(modify):
    if not modify or len(modify) < 14:
        return 0
    return calendar.timegm((int(modify[0:4]), int(modify[4:6]), int(modify[6:8]),
                            int(modify[8:10]), int(modify[10:12]), int(modify[12:14]), 0, 0, 0))


def remote_files(f, folder, prefix, out):
    for name, facts in f.mlsd(folder):
        kind = facts.get("type")
        if kind == "dir":
            remote_files(f, f"{folder}/{name}", f"{prefix}{name}/", out)
        elif kind == "file":
            out[prefix + name] = (int(facts.get("size", -1)), seconds_of(facts.get("modify")))
    return out


def local_files(folder, prefix, out):
    with os.scandir(folder) as entries:
        for e in entries:
            if e.is_dir():
                local_files(e.path, f"{prefix}{e.name}/", out)
            else:
                st = e.stat()
                out[prefix + e.name] = (st.st_size, int(st.st_mtime))
    return out


def main(argv):
    paths, host, port, user = [], None, 21, None
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in ("--host", "--port", "--user"):
            i += 1
            if arg == "--host":
                host = argv[i]
            elif arg == "--port":
                port = int(argv[i])
            else:
                user = argv[i]
        else:
            paths.append(arg)
        i += 1
    if len(paths) != 2 or host is None:
        print("usage: mirror.py LOCAL REMOTE --host HOST [--port PORT] [--user USER]", file=sys.stderr)
        return 2
    local, remote = (p.rstrip("/") if len(p) > 1 else p for p in paths)

    copied = nbytes = same = failed = 0
    try:
        f = ftplib.FTP()
        f.connect(host, port, timeout=30)
        if user is None:
            f.login()
        else:
            f.login(user, os.environ.get("FTP_PASSWORD", ""))
    except ftplib.all_errors as e:
        print(f"{type(e).__name__}: {e}", file=sys.stderr)
        return 1
    try:
        ours = local_files(local, "", {})
        try:
            theirs = remote_files(f, remote, "", {})
        except ftplib.error_perm:
            theirs = {}
            f.mkd(remote)
    except ftplib.all_errors as e:
        print(f"{type(e).__name__}: {e}", file=sys.stderr)
        return 1
    made = set()
    for path, (size, mtime) in ours.items():
        to = theirs.get(path)
        if to is not None and to[0] == size and to[1] >= mtime:
            same += 1
            continue
        print(f"put {path} ({size} bytes)")
        try:
            parts = path.split("/")
            folder = ""
            for part in parts[:-1]:
                folder += f"/{part}"
                if folder not in made:
                    try:
                        f.mkd(remote + folder)
                    except ftplib.error_perm:
                        pass
                    made.add(folder)
            with open(f"{local}/{path}", "rb") as fh:
                f.storbinary(f"STOR {remote}/{path}", fh)
            nbytes += size
            copied += 1
        except (OSError, *ftplib.all_errors) as e:
            print(f"{path}: {type(e).__name__}: {e}", file=sys.stderr)
            failed += 1
    try:
        f.quit()
    except ftplib.all_errors:
        pass
    print(f"mirrored {local} to {remote}: copied {copied} ({nbytes} bytes), {same} unchanged, 0 deleted, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
