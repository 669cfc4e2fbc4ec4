#!/usr/bin/env python3
"""Misbehaving TCP peers for the error tests. Prints the bound port first.

bye:   every connection gets b"bye" and is closed at once.
hold:  connections are accepted and never answered (until killed).
"""
import socket
import sys
import time

mode = sys.argv[1]
with socket.socket() as l:
    l.bind(("127.0.0.1", 0))
    l.listen(64)
    print(l.getsockname()[1], flush=True)
    held = []
    while True:
        conn, _ = l.accept()
        if mode == "bye":
            conn.sendall(b"bye")
            conn.close()
        else:
            held.append(conn)
