"""SMTP benchmark, smtplib side: argv = [host, port, message file, count].
Sends the message file's bytes count times (default 1000) over one smtplib.SMTP
connection (no TLS, no AUTH), message i from bench@example.test to rcpt<i>@discard.test;
every sendmail must return {} (no refused recipients). Timed from the connect to the QUIT
(start-up and reading the file excluded); prints "messages-sent milliseconds"."""
import smtplib
import sys
import time

host, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
count = int(sys.argv[4]) if len(sys.argv) > 4 else 1000
with open(path, "rb") as f:
    msg = f.read()

started = time.perf_counter()
# local_hostname given, as netscript's: else smtplib asks socket.getfqdn() (DNS) here.
s = smtplib.SMTP(host, port, local_hostname="bench.example.test", timeout=60)
sent = 0
for i in range(count):
    refused = s.sendmail("bench@example.test", [f"rcpt{i}@discard.test"], msg)
    if refused != {}:
        sys.exit(f"message {i}: refused {refused}")
    sent += 1
s.quit()
took = time.perf_counter() - started
print(f"{sent} {took * 1000:.1f}")
