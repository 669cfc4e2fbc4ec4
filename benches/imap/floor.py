"""IMAP benchmark, the floor (reported only): argv = [host, port, user, password].
A raw-socket client doing the least IMAP allows over one plain connection: LOGIN, SELECT
INBOX, FETCH 1:* (UID BODY.PEEK[]), reading the reply in 1 MiB recv()s without parsing it
(only looking for the tagged OK at its end) and keeping nothing, then LOGOUT. What is left
is mostly Dovecot's time to send the mailbox, which no one-connection client gets below.
Timed from the connect to the LOGOUT sent; prints "reply-bytes milliseconds"."""
import socket
import sys
import time

host, port, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]

started = time.perf_counter()
s = socket.create_connection((host, port), timeout=60)
f = s.makefile("rb")
f.readline()


def command(tag, line):
    s.sendall(f"{tag} {line}\r\n".encode())
    while True:
        reply = f.readline()
        if reply.startswith(f"{tag} ".encode()):
            if not reply.startswith(f"{tag} OK".encode()):
                sys.exit(f"{line.split()[0]}: {reply!r}")
            return


command("a1", f'LOGIN "{user}" "{password}"')
command("a2", "SELECT INBOX")
s.sendall(b"a3 FETCH 1:* (UID BODY.PEEK[])\r\n")
buf = bytearray(1 << 20)
total = 0
tail = b""
while True:
    n = s.recv_into(buf)
    if n == 0:
        sys.exit("the connection closed during FETCH")
    total += n
    # The tagged OK is the reply's last line; keep enough of the end to see it whole.
    end = tail + bytes(buf[max(0, n - 256):n])
    if b"\r\na3 OK" in end:
        break
    if b"\r\na3 " in end:
        sys.exit(f"FETCH: {end[end.index(b'a3 '):]!r}")
    tail = end[-128:]
s.sendall(b"a4 LOGOUT\r\n")
took = time.perf_counter() - started
s.close()
print(f"{total} {took * 1000:.1f}")
