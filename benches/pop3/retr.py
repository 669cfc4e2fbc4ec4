"""POP3 benchmark, poplib side: argv = [host, port, user, password, keep file].
One plain poplib.POP3 connection (no TLS): user, pass_, stat(), then retr(n) for every
message n in order, adding up the messages' bytes (poplib's octets: the lines with their
CRLF, dot-unstuffed, as netscript's blob), then quit. The middle message's bytes are kept
(its lines joined with CRLF) and written to the keep file after the timing, for the runner
to compare with netscript's. Timed from the connect to the end of QUIT (start-up excluded);
prints "messages bytes milliseconds"."""
import poplib
import sys
import time

host, port, user, password, keep_file = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]

started = time.perf_counter()
p = poplib.POP3(host, port, timeout=60)
p.user(user)
p.pass_(password)
count, _ = p.stat()
middle = (count + 1) // 2
nbytes = 0
kept = None
for n in range(1, count + 1):
    resp, lines, octets = p.retr(n)
    nbytes += octets
    if n == middle:
        kept = lines
p.quit()
took = time.perf_counter() - started
with open(keep_file, "wb") as f:
    f.write(b"".join(line + b"\r\n" for line in kept))
print(f"{count} {nbytes} {took * 1000:.1f}")
