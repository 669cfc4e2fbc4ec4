"""DNS benchmark, dnspython side: argv = [port, count]; Resolver.resolve in a loop over
hN.bench.test (N = i % 1000), each answer checked as it comes (none kept);
prints "queries seconds queries/s"."""
import sys
import time

import dns.resolver

port = int(sys.argv[1])
count = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
r = dns.resolver.Resolver(configure=False)
r.nameservers = ["127.0.0.1"]
r.port = port
started = time.perf_counter()
for i in range(count):
    n = i % 1000
    got = [rr.address for rr in r.resolve(f"h{n}.bench.test", "A")]
    assert got == [f"10.0.{n // 256}.{n % 256}"], (i, got)
took = time.perf_counter() - started
print(f"{count} {took} {count / took}")
