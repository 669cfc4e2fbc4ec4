"""SMTP benchmark, the one-connection floor (reported only, no target): argv = [host, port,
message file, count]. The least a client can do per message over one connection: a raw
socket, EHLO once, then per message MAIL, RCPT and DATA in one write, their three replies,
the message and "." in one write, its reply (the message has no line starting with a dot,
so nothing to stuff). What remains of its time is Postfix's. Timed from the connect to the
QUIT's reply; prints "messages-sent milliseconds"."""
import socket
import sys
import time

host, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
count = int(sys.argv[4]) if len(sys.argv) > 4 else 1000
with open(path, "rb") as f:
    msg = f.read()
assert not msg.startswith(b".") and b"\n." not in msg and msg.endswith(b"\r\n")


def reply(f, want):
    """The last line of one (possibly multi-line) reply; exits unless its code is want."""
    while True:
        line = f.readline()
        if line[3:4] != b"-":
            break
    if not line.startswith(want):
        sys.exit(f"wanted {want.decode()}, got {line!r}")


started = time.perf_counter()
s = socket.create_connection((host, port), timeout=60)
f = s.makefile("rb")
reply(f, b"220")
s.sendall(b"EHLO bench.example.test\r\n")
reply(f, b"250")
sent = 0
for i in range(count):
    s.sendall(b"MAIL FROM:<bench@example.test>\r\nRCPT TO:<rcpt%d@discard.test>\r\nDATA\r\n" % i)
    reply(f, b"250")
    reply(f, b"250")
    reply(f, b"354")
    s.sendall(msg + b".\r\n")
    reply(f, b"250")
    sent += 1
s.sendall(b"QUIT\r\n")
reply(f, b"221")
took = time.perf_counter() - started
print(f"{sent} {took * 1000:.1f}")
