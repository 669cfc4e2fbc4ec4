#!/usr/bin/env python3
"""Echo server peer: Python's socketserver, the seed's own example.

Usage: echo_server.py [--threading] [--host HOST] [PORT]
Binds PORT (0 picks a free one), prints the port on stdout, then echoes every connection
until killed. --threading serves each connection on its own thread (ThreadingTCPServer).
"""
import socketserver
import sys


class Echo(socketserver.BaseRequestHandler):
    def handle(self):
        while True:
            data = self.request.recv(65536)
            if not data:
                break
            self.request.sendall(data)


def main():
    args = sys.argv[1:]
    threading = "--threading" in args
    args = [a for a in args if a != "--threading"]
    host = "127.0.0.1"
    if "--host" in args:
        i = args.index("--host")
        host = args[i + 1]
        del args[i : i + 2]
    port = int(args[0]) if args else 0
    base = socketserver.ThreadingTCPServer if threading else socketserver.TCPServer
    family = socketserver.socket.AF_INET6 if ":" in host else socketserver.socket.AF_INET

    class Server(base):
        allow_reuse_address = True
        daemon_threads = True
        address_family = family
        request_queue_size = 1024

    with Server((host, port), Echo) as server:
        print(server.server_address[1], flush=True)
        server.serve_forever()


if __name__ == "__main__":
    main()
