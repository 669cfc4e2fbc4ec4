#!/usr/bin/env python3
"""A misbehaving SMTP server for the smtp plugin's error tests (stdlib and peer_common.py). Listens on
127.0.0.1 at a port of its own choosing, which it prints as the first stdout line; serves
connections one after another (each in a thread of its own, so a held one blocks no other);
logs every command it receives to stderr. Exits after 60 s,
or when stdin (if it is a pipe) closes.

Usage: smtp_peer.py MODE

normal           a well-behaved sink: accepts everything; prints each message's size (bytes
                 between DATA's 354 and the final ".", dot-unstuffed) on stdout.
drop_in_data     354 to DATA, reads some of the body, then closes without a reply.
421_mid_session  421 to MAIL FROM, then closes.
garbled          answers EHLO with a line without a reply code ("hello there").
size_552         552 after the final "." of DATA.
data_554         554 to the DATA command itself.
silent           greets, then never answers anything.
no_greeting      accepts the connection but never sends 220.
ehlo_refused     502 to EHLO and to HELO.
no_esmtp         500 to EHLO, 250 to HELO, then behaves like normal.
auth_refused     offers AUTH PLAIN LOGIN, answers every AUTH with 535.
"""
import socket
import sys
import threading

from peer_common import log, run_server

MODES = {
    "normal", "drop_in_data", "421_mid_session", "garbled", "size_552", "data_554", "silent",
    "no_greeting", "ehlo_refused", "no_esmtp", "auth_refused",
}
LIFETIME = 60.0
stdout_lock = threading.Lock()




class Conn:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def close(self):
        """Closes after a FIN and draining what the client still sends: closing with unread
        input would send a reset, and the client could lose the reply before it."""
        try:
            self.sock.shutdown(socket.SHUT_WR)
            self.sock.settimeout(2)
            while self.sock.recv(65536):
                pass
        except OSError:
            pass
        self.sock.close()

    def send(self, line):
        self.sock.sendall(line.encode() + b"\r\n")

    def line(self):
        """One line without its CRLF; None when the client closed."""
        while b"\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                return None
            self.buf += data
        line, _, self.buf = self.buf.partition(b"\n")
        return line.rstrip(b"\r")

    def data(self, limit=None):
        """The body up to the final "." (dot-unstuffed), or, with `limit`, at least that many
        bytes of it (then None for the rest); None when the client closed first."""
        body = bytearray()
        while True:
            line = self.line()
            if line is None:
                return None
            if line == b".":
                return bytes(body)
            body += (line[1:] if line.startswith(b".") else line) + b"\r\n"
            if limit is not None and len(body) >= limit:
                return bytes(body)


def ehlo_reply(conn, name):
    conn.send(f"250-peer.test greets {name}")
    conn.send("250-PIPELINING")
    conn.send("250-SIZE 1000")
    conn.send("250-8BITMIME")
    conn.send("250 AUTH PLAIN LOGIN")


def serve(conn, mode):
    if mode == "no_greeting":
        while conn.line() is not None:
            pass
        return
    conn.send("220 peer.test ESMTP smtp_peer")
    while True:
        line = conn.line()
        if line is None:
            return
        text = line.decode("utf-8", "replace")
        log(f"smtp_peer {mode}: {text}")
        if mode == "silent":
            continue
        verb = text.split(" ", 1)[0].upper()
        arg = text[len(verb):].strip()
        if verb == "EHLO":
            if mode == "garbled":
                conn.send("hello there")
            elif mode in ("ehlo_refused", "no_esmtp"):
                conn.send("502 5.5.1 EHLO not implemented" if mode == "ehlo_refused" else "500 5.5.1 command unrecognized")
            else:
                ehlo_reply(conn, arg)
        elif verb == "HELO":
            if mode == "ehlo_refused":
                conn.send("502 5.5.1 HELO not implemented")
            else:
                conn.send("250 peer.test")
        elif verb == "AUTH":
            if mode == "auth_refused":
                conn.send("535 5.7.8 Authentication credentials invalid")
            else:
                auth(conn, arg)
        elif verb == "MAIL":
            if mode == "421_mid_session":
                conn.send("421 4.3.2 shutting down")
                return
            conn.send("250 2.1.0 Ok")
        elif verb == "RCPT":
            conn.send("250 2.1.5 Ok")
        elif verb == "DATA":
            if mode == "data_554":
                conn.send("554 5.7.1 rejected: spam")
                continue
            conn.send("354 End data with <CR><LF>.<CR><LF>")
            if mode == "drop_in_data":
                conn.data(limit=1)
                log("smtp_peer drop_in_data: closing in DATA")
                return
            body = conn.data()
            if body is None:
                return
            log(f"smtp_peer {mode}: message of {len(body)} bytes")
            if mode == "size_552":
                conn.send("552 5.3.4 Message too big")
            else:
                with stdout_lock:
                    print(len(body), flush=True)
                conn.send("250 2.0.0 Ok: queued")
        elif verb in ("RSET", "NOOP"):
            conn.send("250 2.0.0 Ok")
        elif verb == "QUIT":
            conn.send("221 2.0.0 Bye")
            return
        else:
            conn.send("502 5.5.2 command not recognized")


def auth(conn, arg):
    # Any credentials pass; the exchange only has to be well-formed.
    mech, _, initial = arg.partition(" ")
    mech = mech.upper()
    if mech == "PLAIN":
        if not initial:
            conn.send("334 ")
            if conn.line() is None:
                return
    elif mech == "LOGIN":
        conn.send("334 VXNlcm5hbWU6")
        if conn.line() is None:
            return
        conn.send("334 UGFzc3dvcmQ6")
        if conn.line() is None:
            return
    else:
        conn.send("504 5.5.4 mechanism not supported")
        return
    conn.send("235 2.7.0 Authentication successful")


def handle(conn, mode):
    try:
        serve(conn, mode)
    except OSError as e:
        log(f"smtp_peer {mode}: {e}")
    conn.close()


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in MODES:
        sys.exit(f"usage: smtp_peer.py {{{'|'.join(sorted(MODES))}}}")
    mode = sys.argv[1]
    run_server("smtp_peer", mode, LIFETIME, lambda sock: handle(Conn(sock), mode))


if __name__ == "__main__":
    main()
