"""What the misbehaving protocol peers (ftp_peer.py, imap_peer.py, smtp_peer.py) share:
logging to stderr, ending when the test that started them is gone (its stdin pipe closes),
and the accept loop on a free loopback port."""
import os
import select
import socket
import stat
import sys
import threading
import time


def log(text):
    print(text, file=sys.stderr, flush=True)


def watch_stdin():
    # Peer::start gives /dev/null as stdin, which reads EOF at once: only a pipe's EOF means
    # "the test is gone".
    try:
        if not stat.S_ISFIFO(os.fstat(0).st_mode):
            return
        while os.read(0, 4096):
            pass
    except OSError:
        pass
    os._exit(0)


def run_server(name, mode, lifetime, start):
    """Listens on 127.0.0.1 at a port of its own choosing, prints it as the first stdout
    line, and runs start(sock) in a thread of its own for each connection (its timeout the
    time left), until `lifetime` seconds have gone by or stdin (a pipe) closes; then ends the
    process."""
    threading.Thread(target=watch_stdin, daemon=True).start()
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    print(listener.getsockname()[1], flush=True)
    deadline = time.monotonic() + lifetime
    while time.monotonic() < deadline:
        ready, _, _ = select.select([listener], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        sock, addr = listener.accept()
        log(f"{name} {mode}: connection from {addr[0]}:{addr[1]}")
        sock.settimeout(max(0.1, deadline - time.monotonic()))
        threading.Thread(target=start, args=(sock,), daemon=True).start()
    os._exit(0)
