"""FTP benchmark, ftplib side of the big transfer: argv = [host, port, user, password, mode,
local, remote, blocksize].
One plain ftplib.FTP connection (no TLS, passive: PASV, ftplib's choice on IPv4), login, then
mode "put": storbinary("STOR remote", file, blocksize) from the local file opened "rb", or
mode "get": retrbinary("RETR remote", out.write, blocksize) into the local file opened "wb"
(closed before the QUIT), then quit. blocksize (default 262144, netscript's buffer) is the
bytes per read from the file (put) or per recv() (get). Timed two ways: from the connect to
the end of QUIT (start-up excluded), and the storbinary/retrbinary call alone (TYPE I, PASV,
STOR/RETR, the bytes, the 226); prints "bytes total-milliseconds transfer-milliseconds", the
bytes being the file's size (put) or what was written (get)."""
import ftplib
import os
import sys
import time

host, port, user, password, mode, local, remote = sys.argv[1:8]
port = int(port)
blocksize = int(sys.argv[8]) if len(sys.argv) > 8 else 262144

started = time.perf_counter()
f = ftplib.FTP()
f.connect(host, port, timeout=60)
f.login(user, password)
if mode == "put":
    with open(local, "rb") as fh:
        began = time.perf_counter()
        f.storbinary(f"STOR {remote}", fh, blocksize)
        transfer = time.perf_counter() - began
    nbytes = os.path.getsize(local)
else:
    with open(local, "wb") as out:
        began = time.perf_counter()
        f.retrbinary(f"RETR {remote}", out.write, blocksize)
        nbytes = out.tell()
    transfer = time.perf_counter() - began  # the file closed (flushed) included
f.quit()
took = time.perf_counter() - started
print(f"{nbytes} {took * 1000:.3f} {transfer * 1000:.3f}")
