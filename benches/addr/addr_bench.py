#!/usr/bin/env python3
"""1M address operations with netaddr: 250k each of parse, contains, subnet and merge.

The same work, on the same deterministic inputs, as addr_bench.rhai; run.sh runs both
and compares the checksum line they print.
"""
from netaddr import IPAddress, IPNetwork, cidr_merge

N = 250000

x = 12345
texts = []
for i in range(1024):
    x = (x * 1103515245 + 12345) % 2147483648
    texts.append(f"10.{(x >> 16) % 256}.{(x >> 8) % 256}.{x % 256}/{16 + x % 17}")
nets = [IPNetwork(f"10.{i}.0.0/16") for i in range(256)]
lists = []
for i in range(256):
    b = i % 255
    lists.append([f"10.{i}.{b}.0/25", f"10.{i}.{b}.128/25", f"10.{i}.{b + 1}.0/24",
                  f"10.{i}.{b}.7", f"192.0.2.{i}"])
base = IPAddress("10.0.0.0")

parsed = 0
for i in range(N):
    parsed += IPNetwork(texts[i & 1023]).prefixlen
hits = 0
for i in range(N):
    if (base + ((i * 7919) & 16777215)) in nets[i & 255]:
        hits += 1
subnets = 0
for i in range(N):
    subnets += len(list(nets[i & 255].subnet(24, 4)))
merged = 0
for i in range(N):
    merged += len(cidr_merge(lists[i & 255]))
print(f"parse={parsed} contains={hits} subnet={subnets} merge={merged}")
