#!/usr/bin/env python3
"""A misbehaving IMAP server for the imap plugin's error tests (stdlib and peer_common.py). Listens on
127.0.0.1 at a port of its own choosing, which it prints as the first stdout line; serves
connections one after another (each in a thread of its own, so a held one blocks no other);
logs every command it receives to stderr, and, given LOGFILE, appends each command line
(a literal as its announcement, `{N}` or `{N+}`) to that file before answering it. Exits after 60 s, or when stdin (if it
is a pipe) closes.

Usage: imap_peer.py MODE [LOGFILE]

Every mode greets `* OK [CAPABILITY IMAP4rev1 LITERAL+ IDLE MOVE UIDPLUS] peer ready` (but
bad_greeting and no_move), accepts any LOGIN (its OK carries the capabilities), and SELECT/EXAMINE find
3 messages (UIDs 1 to 3, each `Subject: peer message N` with body `body N`). Apart from what
a mode changes, FETCH answers every message asked for with UID, FLAGS, RFC822.SIZE and
BODY[]; SEARCH finds 1 2 3; STORE, COPY, EXPUNGE, NOOP, LIST, IDLE, APPEND and LOGOUT work.

normal           as above.
no_on_fetch      FETCH: one FETCH response, then a tagged NO; SEARCH, STORE, NOOP and
                 CAPABILITY: a tagged NO (after an untagged answer where one is due).
bye_mid_fetch    FETCH: one FETCH response, then `* BYE going away`, and closes.
short_literal    FETCH: announces a literal of 20000 bytes, sends 100 of them, then says
                 nothing more (until the client closes).
close_mid_fetch  FETCH: message 1 whole, then 300 bytes of message 2's literal of 5000,
                 then closes.
bad_greeting     greets with `* BYE no` and closes.
silent           answers LOGIN and SELECT, then nothing at all (until the client closes).
no_move          announces UIDPLUS but neither MOVE nor LITERAL+: MOVE and UID MOVE are BAD
                 (the client must fall back to UID COPY, UID STORE, UID EXPUNGE), and every
                 literal waits for the server's `+`.
"""
import socket
import sys
import threading
import time

from peer_common import log, run_server

MODES = {
    "normal", "no_on_fetch", "bye_mid_fetch", "short_literal", "close_mid_fetch", "bad_greeting", "silent", "no_move",
}
LIFETIME = 60.0
CAPS = "IMAP4rev1 LITERAL+ IDLE"
log_lock = threading.Lock()
log_file = None



def record(line):
    if log_file is None:
        return
    with log_lock:
        with open(log_file, "a", encoding="utf-8") as f:
            f.write(line + "\n")



def message(n, size=None):
    """Message n's bytes; padded with a body of `x` lines to `size` bytes when given."""
    data = f"Subject: peer message {n}\r\n\r\nbody {n}\r\n".encode()
    if size is not None:
        while len(data) < size:
            data += b"x" * min(70, max(0, size - len(data) - 2)) + b"\r\n"
        data = data[:size]
    return data


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

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def line(self):
        """One line without its CRLF; None when the client closed."""
        while b"\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                return None
            self.buf += data
        line, _, self.buf = self.buf.partition(b"\n")
        return line.rstrip(b"\r")

    def exactly(self, n):
        while len(self.buf) < n:
            data = self.sock.recv(65536)
            if not data:
                return None
            self.buf += data
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def command(self):
        """A whole command: its line(s) with each literal read (a `+` sent first for a
        synchronizing one) and shown as announced; None when the client closed."""
        shown = ""
        while True:
            line = self.line()
            if line is None:
                return None
            text = line.decode("utf-8", "replace")
            if text.endswith("}") and "{" in text:
                head, _, size = text[:-1].rpartition("{")
                plus = size.endswith("+")
                size = size.rstrip("+")
                if size.isdigit():
                    if not plus:
                        self.send("+ go ahead\r\n")
                    if self.exactly(int(size)) is None:
                        return None
                    shown += f"{head}{{{size}{'+' if plus else ''}}}"
                    continue
            return shown + text

    def wait_for_close(self):
        while True:
            try:
                if not self.sock.recv(65536):
                    return
            except OSError:
                return


def fetch_response(n):
    body = message(n)
    head = f"* {n} FETCH (UID {n} FLAGS (\\Seen) RFC822.SIZE {len(body)} BODY[] {{{len(body)}}}\r\n"
    return head.encode() + body + b")\r\n"


def ids_of(text):
    """The message numbers (1 to 3) of an IMAP set."""
    found = []
    for part in text.split(","):
        a, _, b = part.partition(":")
        b = b or a
        a = 3 if a == "*" else int(a)
        b = 3 if b == "*" else int(b)
        found.extend(n for n in range(min(a, b), max(a, b) + 1) if 1 <= n <= 3)
    return found


def serve(conn, mode):
    caps = "IMAP4rev1 IDLE UIDPLUS" if mode == "no_move" else CAPS + " MOVE UIDPLUS"
    if mode == "bad_greeting":
        conn.send("* BYE no\r\n")
        return
    conn.send(f"* OK [CAPABILITY {caps}] peer ready\r\n")
    refuse = mode == "no_on_fetch"
    while True:
        text = conn.command()
        if text is None:
            return
        log(f"imap_peer {mode}: {text}")
        record(text)
        tag, _, rest = text.partition(" ")
        verb, _, arg = rest.partition(" ")
        verb = verb.upper()
        if verb == "UID":
            sub, _, arg = arg.partition(" ")
            verb = "UID " + sub.upper()
        if mode == "silent" and verb not in ("LOGIN", "SELECT"):
            log("imap_peer silent: no answer")
            continue
        if verb == "CAPABILITY":
            conn.send(f"* CAPABILITY {caps}\r\n")
            conn.send(f"{tag} NO capability refused\r\n" if refuse else f"{tag} OK CAPABILITY completed\r\n")
        elif verb == "LOGIN":
            conn.send(f"{tag} OK [CAPABILITY {caps}] Logged in\r\n")
        elif verb in ("SELECT", "EXAMINE"):
            conn.send("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n* 3 EXISTS\r\n* 0 RECENT\r\n")
            conn.send("* OK [UIDVALIDITY 1234] UIDs valid\r\n* OK [UIDNEXT 4] Predicted next UID\r\n")
            mode_code = "READ-ONLY" if verb == "EXAMINE" else "READ-WRITE"
            conn.send(f"{tag} OK [{mode_code}] {verb.capitalize()} completed\r\n")
        elif verb in ("FETCH", "UID FETCH"):
            ids = ids_of(arg.split(" ", 1)[0])
            if mode == "short_literal":
                conn.send(b"* 1 FETCH (UID 1 BODY[] {20000}\r\n" + message(1, 20000)[:100])
                log("imap_peer short_literal: 100 of 20000 bytes sent, silent now")
                conn.wait_for_close()
                return
            if mode == "close_mid_fetch":
                body = message(2, 5000)
                conn.send(fetch_response(1) + f"* 2 FETCH (UID 2 BODY[] {{{len(body)}}}\r\n".encode() + body[:300])
                log("imap_peer close_mid_fetch: closing in message 2's literal")
                time.sleep(0.2)
                return
            if mode in ("no_on_fetch", "bye_mid_fetch"):
                conn.send(fetch_response(ids[0] if ids else 1))
                if mode == "bye_mid_fetch":
                    conn.send("* BYE going away\r\n")
                    return
                conn.send(f"{tag} NO [SERVERBUG] fetch failed half-way\r\n")
                continue
            conn.send(b"".join(fetch_response(n) for n in ids))
            conn.send(f"{tag} OK Fetch completed\r\n")
        elif verb in ("SEARCH", "UID SEARCH"):
            conn.send("* SEARCH 1 2 3\r\n")
            conn.send(f"{tag} NO [CANNOT] search refused\r\n" if refuse else f"{tag} OK Search completed\r\n")
        elif verb in ("STORE", "UID STORE"):
            if refuse:
                conn.send(f"{tag} NO store refused\r\n")
                continue
            target = arg.split(" ", 1)[0]
            if ".SILENT" not in arg.upper():
                for n in ids_of(target):
                    conn.send(f"* {n} FETCH (FLAGS (\\Seen \\Deleted))\r\n")
            conn.send(f"{tag} OK Store completed\r\n")
        elif verb == "NOOP":
            conn.send(f"{tag} NO noop refused\r\n" if refuse else f"{tag} OK NOOP completed\r\n")
        elif verb in ("COPY", "UID COPY"):
            conn.send(f"{tag} OK [COPYUID 99 {arg.split(' ', 1)[0]} 1] Copy completed\r\n")
        elif verb in ("MOVE", "UID MOVE"):
            if mode == "no_move":
                conn.send(f"{tag} BAD MOVE is not offered here\r\n")
            else:
                conn.send(f"{tag} OK Move completed\r\n")
        elif verb in ("EXPUNGE", "UID EXPUNGE"):
            conn.send(f"* 2 EXPUNGE\r\n{tag} OK Expunge completed\r\n")
        elif verb == "LIST":
            conn.send('* LIST (\\HasNoChildren) "/" INBOX\r\n')
            conn.send(f"{tag} OK List completed\r\n")
        elif verb == "APPEND":
            conn.send(f"{tag} OK [APPENDUID 1234 4] Append completed\r\n")
        elif verb == "IDLE":
            conn.send("+ idling\r\n")
            done = conn.line()
            if done is None:
                return
            conn.send(f"{tag} OK Idle completed\r\n")
        elif verb == "LOGOUT":
            conn.send(f"* BYE logging out\r\n{tag} OK Logout completed\r\n")
            return
        else:
            conn.send(f"{tag} BAD unknown command\r\n")


def handle(conn, mode):
    try:
        serve(conn, mode)
    except (OSError, ValueError) as e:
        log(f"imap_peer {mode}: {e}")
    conn.close()


def main():
    global log_file
    if len(sys.argv) not in (2, 3) or sys.argv[1] not in MODES:
        sys.exit(f"usage: imap_peer.py {{{'|'.join(sorted(MODES))}}} [LOGFILE]")
    mode = sys.argv[1]
    if len(sys.argv) == 3:
        log_file = sys.argv[2]
    run_server("imap_peer", mode, LIFETIME, lambda sock: handle(Conn(sock), mode))


if __name__ == "__main__":
    main()
