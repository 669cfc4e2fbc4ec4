"""DNS benchmark, dnspython side: argv = [port, count]; Resolver.resolve in a loop over
hN.bench.test (N = i % 1000), each answer checked; prints "queries seconds queries/s"."""
import sys
import time

import dns.resolver

port = int(sys.argv[1])
count = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
r = dns.resolver.Resolver(configure=False)
r.nameservers = ["127.0.0.1"]
r.port = port
started = time.perf_counter()
answers = [r.resolve(f"h{i % 1000}.bench.test", "A") for i in range(count)]
took = time.perf_counter() - started
for i, a in enumerate(answers):
    n = i % 1000
    want = f"10.0.{n // 256}.{n % 256}"
    got = [rr.address for rr in a]
    assert got == [want], (i, got, want)
print(f"{count} {took} {count / took}")
