#!/usr/bin/env python3
"""Bulk stream peer with SHA-256 checks.

echo-client PORT MIB: connects, sends MIB MiB of random bytes (from a thread) while reading
    the echo back; prints "<sha of sent> <sha of received> <bytes received>".
sink: listens on a free port (printed first), takes one connection, reads to end of
    stream; prints "<bytes> <sha256>".
"""
import hashlib
import os
import socket
import sys
import threading

CHUNK = 1 << 20


def echo_client(port, mib):
    s = socket.create_connection(("127.0.0.1", port))
    sent = hashlib.sha256()

    def send():
        for _ in range(mib):
            block = os.urandom(CHUNK)
            sent.update(block)
            s.sendall(block)
        s.shutdown(socket.SHUT_WR)

    t = threading.Thread(target=send)
    t.start()
    got = hashlib.sha256()
    total = 0
    while True:
        data = s.recv(CHUNK)
        if not data:
            break
        got.update(data)
        total += len(data)
    t.join()
    print(sent.hexdigest(), got.hexdigest(), total, flush=True)


def sink():
    with socket.socket() as l:
        l.bind(("127.0.0.1", 0))
        l.listen(1)
        print(l.getsockname()[1], flush=True)
        conn, _ = l.accept()
        got = hashlib.sha256()
        total = 0
        while True:
            data = conn.recv(CHUNK)
            if not data:
                break
            got.update(data)
            total += len(data)
        print(total, got.hexdigest(), flush=True)


if sys.argv[1] == "echo-client":
    echo_client(int(sys.argv[2]), int(sys.argv[3]))
else:
    sink()
