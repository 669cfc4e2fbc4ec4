#!/usr/bin/env python3
"""The floor of the upload step, reported beside it by benches/backup_mail/run.sh: a raw-socket
FTP client doing the least the step allows for every file of a folder, as backup_mail does
it (EPSV, STOR NAME.part with the bytes, then RNFR/RNTO/SIZE), reading each reply, parsing
nothing more: one TYPE I after the login, no listing, no checks on the local side.
PIPELINE=1 sends RNFR, RNTO and SIZE in one write.

    ftp_floor.py HOST PORT USER PASSWORD LOCAL_DIR REMOTE_DIR PIPELINE   (prints "files ms")
"""
import os, socket, sys, time

host, port, user, password, local, remote = sys.argv[1], int(sys.argv[2]), *sys.argv[3:7]
pipeline = sys.argv[7] == "1"


class Control:
    def __init__(self, sock):
        self.sock, self.buf = sock, b""

    def reply(self):
        """One reply (multi-line ones whole); returns its first line."""
        first = None
        while True:
            while b"\r\n" not in self.buf:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise EOFError("the server closed the connection")
                self.buf += chunk
            line, self.buf = self.buf.split(b"\r\n", 1)
            if first is None:
                first = line
            if line[:3] == first[:3] and line[3:4] == b" ":
                if first[:1] in b"45":
                    raise RuntimeError(first.decode())
                return first.decode()

    def cmd(self, text):
        self.sock.sendall(text.encode() + b"\r\n")
        return self.reply()


t0 = time.monotonic()
c = Control(socket.create_connection((host, port)))
c.reply()
c.cmd(f"USER {user}")
c.cmd(f"PASS {password}")
c.cmd("TYPE I")
try:
    c.cmd(f"MKD {remote}")
except RuntimeError:
    pass
names = sorted(n for n in os.listdir(local) if n.endswith(".eml") or n == "index.jsonl")
for name in names:
    with open(os.path.join(local, name), "rb") as f:
        data = f.read()
    target = f"{remote}/{name}"
    epsv = c.cmd("EPSV")
    data_port = int(epsv.split("|||")[1].split("|")[0])
    d = socket.create_connection((host, data_port))
    c.cmd(f"STOR {target}.part")
    d.sendall(data)
    d.close()
    c.reply()  # 226
    if pipeline:
        c.sock.sendall(f"RNFR {target}.part\r\nRNTO {target}\r\nSIZE {target}\r\n".encode())
        c.reply(), c.reply(), c.reply()
    else:
        c.cmd(f"RNFR {target}.part")
        c.cmd(f"RNTO {target}")
        c.cmd(f"SIZE {target}")
c.cmd("QUIT")
print(len(names), round((time.monotonic() - t0) * 1000, 1))
