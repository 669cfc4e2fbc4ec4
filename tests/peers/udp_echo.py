#!/usr/bin/env python3
"""UDP echo peer: returns every datagram (up to 65,535 bytes) to its sender.

Usage: udp_echo.py [--host HOST] [PORT]   prints the bound port, then echoes until killed.
"""
import socket
import sys

args = sys.argv[1:]
host = "127.0.0.1"
if "--host" in args:
    i = args.index("--host")
    host = args[i + 1]
    del args[i : i + 2]
port = int(args[0]) if args else 0
family = socket.AF_INET6 if ":" in host else socket.AF_INET
with socket.socket(family, socket.SOCK_DGRAM) as s:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    s.bind((host, port))
    print(s.getsockname()[1], flush=True)
    while True:
        data, addr = s.recvfrom(65535)
        s.sendto(data, addr)
