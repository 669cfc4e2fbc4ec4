"""POP3 benchmark, the floor (reported only): argv = [host, port, user, password, count, mode].
A raw-socket client doing the least POP3 allows over one plain connection: USER, PASS,
then RETR 1..count read in 1 MiB recv()s up to each reply's terminating ".", nothing parsed
or kept, then QUIT. mode "serial" (default): one RETR at a time, as poplib and netscript;
mode "pipelined": every RETR written at once (Dovecot announces PIPELINING in CAPA), so no
round trip is waited for. What is left of "serial" is mostly Dovecot's time per message plus
one loopback round trip, which no client retrieving one message at a time gets below.
Timed from the connect to the QUIT sent; prints "reply-bytes milliseconds"."""
import socket
import sys
import time

host, port, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
count = int(sys.argv[5])
mode = sys.argv[6] if len(sys.argv) > 6 else "serial"

started = time.perf_counter()
s = socket.create_connection((host, port), timeout=60)
f = s.makefile("rb")
for line in (None, f"USER {user}", f"PASS {password}"):
    if line:
        s.sendall(f"{line}\r\n".encode())
    reply = f.readline()
    if not reply.startswith(b"+OK"):
        sys.exit(f"{line}: {reply!r}")
buf = bytearray(1 << 20)
total = 0


def read_replies(n):
    """Reads n multi-line replies: each ends with the line "." (CRLF . CRLF)."""
    global total
    tail = b""
    done = 0
    while done < n:
        got = s.recv_into(buf)
        if got == 0:
            sys.exit("the connection closed during RETR")
        total += got
        data = tail + bytes(buf[:got])
        done += data.count(b"\r\n.\r\n")
        tail = data[-4:]


if mode == "serial":
    for n in range(1, count + 1):
        s.sendall(f"RETR {n}\r\n".encode())
        read_replies(1)
elif mode == "pipelined":
    s.sendall("".join(f"RETR {n}\r\n" for n in range(1, count + 1)).encode())
    read_replies(count)
else:
    sys.exit(f"unknown mode {mode} (serial, pipelined)")
s.sendall(b"QUIT\r\n")
took = time.perf_counter() - started
s.close()
print(f"{total} {took * 1000:.1f}")
