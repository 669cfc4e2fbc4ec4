#!/usr/bin/env python3
"""Python client for a netscript echo server: sends a few messages (one of 64 KiB) over
one connection, checks each echo, then checks a second connection. Prints "ok"."""
import socket
import sys

host, port = sys.argv[1], int(sys.argv[2])


def exchange(s, payload):
    s.sendall(payload)
    got = b""
    while len(got) < len(payload):
        data = s.recv(65536)
        if not data:
            raise SystemExit(f"server closed after {len(got)} bytes")
        got += data
    if got != payload:
        raise SystemExit("echo differs")


for round in range(2):
    with socket.create_connection((host, port), timeout=10) as s:
        for msg in (b"hello\n", "héllo wörld\n".encode(), bytes(range(256)) * 256):
            exchange(s, msg)
print("ok", flush=True)
