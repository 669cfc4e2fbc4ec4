#!/usr/bin/env python3
"""A misbehaving FTP server for the ftp plugin's error tests (stdlib and peer_common.py). Listens on
127.0.0.1 at a port of its own choosing, which it prints as the first stdout line; serves
control connections one after another (each in a thread of its own); logs every command it
receives to stderr (PASS as ****). Exits after 60 s, or when stdin (if it is a pipe) closes.

Any user and password log in. The files are in memory, one flat directory "/": hello.txt
(HELLO) and bytes.bin (BYTES: 0 to 255, 256 times, 64 KiB); STOR adds or replaces one (and
prints "stored NAME SIZE" on stdout). Passive mode only (PORT/EPRT get 502).

Usage: ftp_peer.py MODE

normal              enough of a server for USER PASS PWD CWD TYPE EPSV PASV RETR STOR SIZE
                    NLST DELE FEAT SYST NOOP QUIT.
garbled             answers USER with a line without a reply code ("hello there").
421_mid_transfer    RETR: 150, sends the first 4096 bytes of the file on the data connection,
                    then "421" on the control connection and closes both (SIZE tells the
                    whole size). STOR: 150, reads up to 4096 bytes, then 421 and closes both.
no_data_connection  PASV/EPSV name a port that is bound but never listens (connecting is
                    refused); a transfer command sent anyway gets 425 after 1 s.
data_never_accepts  PASV/EPSV name a port that listens but never accepts (the TCP connect
                    succeeds, no byte ever flows); a transfer command gets no reply at all.
implicit_tls        as normal, but TLS from the first byte on the control connection and on
                    every data connection (implicit FTPS; pure-ftpd cannot speak it): run as
                    `ftp_peer.py implicit_tls CERT.pem KEY.pem`. PBSZ and PROT are accepted.
                    A data connection must resume the control connection's TLS session (as
                    vsftpd's require_ssl_reuse): one that does not is closed with "522 SSL
                    connection failed: session reuse required".
pasv_elsewhere      PASV answers "227 Entering Passive Mode (10,1,2,3,P1,P2)" while the data
                    port really listens on 127.0.0.1 (a client that trusts the address goes to
                    10.1.2.3); EPSV is refused (502), so a client falls back to PASV.
"""
import ssl
import socket
import sys
import threading
import time

from peer_common import log, run_server

MODES = {
    "normal", "garbled", "421_mid_transfer", "no_data_connection", "data_never_accepts", "pasv_elsewhere",
    "implicit_tls",
}
TLS = None  # the server-side SSLContext in implicit_tls mode
LIFETIME = 60.0
HELLO = b"Hello from ftp_peer.\r\nSecond line.\r\n"
BYTES = bytes(range(256)) * 256
stdout_lock = threading.Lock()
# Sockets kept open on purpose (bound or listening ports nobody accepts on).
parked = []




class Session:
    def __init__(self, sock, mode, files):
        self.sock = sock
        self.mode = mode
        self.files = files
        self.buf = b""
        self.data_listener = None
        self.logged_in = False

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

    def close(self):
        """Closes after a FIN and draining what the client still sends: closing with unread
        input would send a reset, and the client could lose the last reply."""
        for sock in (self.data_listener,):
            if sock is not None:
                sock.close()
        try:
            self.sock.shutdown(socket.SHUT_WR)
            self.sock.settimeout(2)
            while self.sock.recv(65536):
                pass
        except OSError:
            pass
        self.sock.close()

    def passive(self, extended):
        """Opens (or fakes) the data port for PASV (extended=False) or EPSV, and replies."""
        if self.data_listener is not None:
            self.data_listener.close()
            self.data_listener = None
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        if self.mode == "no_data_connection":
            parked.append(sock)  # bound, never listening: a connect is refused
        elif self.mode == "data_never_accepts":
            sock.listen(8)
            parked.append(sock)  # the kernel completes the handshake; nobody accepts
        else:
            sock.listen(1)
            sock.settimeout(10)
            self.data_listener = sock
        if extended:
            self.send(f"229 Entering Extended Passive Mode (|||{port}|)")
        else:
            host = "10,1,2,3" if self.mode == "pasv_elsewhere" else "127,0,0,1"
            self.send(f"227 Entering Passive Mode ({host},{port >> 8},{port & 255})")

    def data_connection(self):
        """The accepted data connection after a 150, or None (the reply already sent)."""
        if self.mode == "no_data_connection":
            time.sleep(1)
            self.send("425 Can't open data connection")
            return None
        if self.mode == "data_never_accepts":
            return None  # and no reply: the client waits for one
        if self.data_listener is None:
            self.send("425 Use PASV or EPSV first")
            return None
        listener, self.data_listener = self.data_listener, None
        try:
            conn, _ = listener.accept()
        except OSError:
            self.send("425 Can't open data connection")
            return None
        finally:
            listener.close()
        self.send("150 Opening BINARY mode data connection")
        if TLS is not None:
            try:
                conn = TLS.wrap_socket(conn, server_side=True)
            except (OSError, ssl.SSLError) as e:
                log(f"ftp_peer {self.mode}: data TLS handshake failed: {e}")
                self.send("522 SSL connection failed")
                return None
            if not conn.session_reused:
                log(f"ftp_peer {self.mode}: data connection without session reuse")
                conn.close()
                self.send("522 SSL connection failed: session reuse required")
                return None
        return conn

    def retr(self, name):
        data = self.files.get(name)
        if data is None:
            self.send(f"550 {name}: No such file")
            return True
        conn = self.data_connection()
        if conn is None:
            return True
        if self.mode == "421_mid_transfer":
            conn.sendall(data[:4096])
            time.sleep(0.2)  # let the bytes arrive before the 421
            self.send("421 Service not available, closing control connection")
            conn.close()
            log("ftp_peer 421_mid_transfer: closing in RETR")
            return False
        conn.sendall(data)
        close_data(conn)
        self.send("226 Transfer complete")
        return True

    def stor(self, name):
        conn = self.data_connection()
        if conn is None:
            return True
        body = bytearray()
        conn.settimeout(10)
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                break
            body += chunk
            if self.mode == "421_mid_transfer" and len(body) >= 4096:
                self.send("421 Service not available, closing control connection")
                conn.close()
                log("ftp_peer 421_mid_transfer: closing in STOR")
                return False
        close_data(conn)
        if self.mode == "421_mid_transfer":
            self.send("421 Service not available, closing control connection")
            return False
        self.files[name] = bytes(body)
        with stdout_lock:
            print(f"stored {name} {len(body)}", flush=True)
        self.send("226 Transfer complete")
        return True

    def nlst(self):
        conn = self.data_connection()
        if conn is None:
            return True
        conn.sendall("".join(f"{name}\r\n" for name in sorted(self.files)).encode())
        close_data(conn)
        self.send("226 Transfer complete")
        return True

    def serve(self):
        self.send("220 ftp_peer ready")
        while True:
            line = self.line()
            if line is None:
                return
            text = line.decode("utf-8", "replace")
            verb, _, arg = text.partition(" ")
            verb = verb.upper()
            log(f"ftp_peer {self.mode}: {'PASS ****' if verb == 'PASS' else text}")
            name = arg.lstrip("/")
            if verb == "USER":
                if self.mode == "garbled":
                    self.send("hello there")
                else:
                    self.send("331 Password required")
            elif verb == "PASS":
                self.logged_in = True
                self.send("230 Logged in")
            elif verb == "QUIT":
                self.send("221 Goodbye")
                return
            elif verb in ("NOOP", "TYPE", "MODE", "STRU", "PBSZ", "PROT"):
                self.send("200 OK")
            elif verb == "SYST":
                self.send("215 UNIX Type: L8")
            elif verb == "FEAT":
                self.sock.sendall(b"211-Features:\r\n EPSV\r\n PASV\r\n SIZE\r\n211 End\r\n")
            elif not self.logged_in:
                self.send("530 Please login with USER and PASS")
            elif verb in ("PWD", "XPWD"):
                self.send('257 "/" is the current directory')
            elif verb in ("CWD", "CDUP"):
                if verb == "CDUP" or arg in ("/", ".", ""):
                    self.send("250 OK")
                else:
                    self.send(f"550 {arg}: No such directory")
            elif verb == "EPSV":
                if self.mode == "pasv_elsewhere":
                    self.send("502 EPSV not implemented")
                else:
                    self.passive(extended=True)
            elif verb == "PASV":
                self.passive(extended=False)
            elif verb in ("PORT", "EPRT"):
                self.send("502 Active mode not implemented")
            elif verb == "SIZE":
                data = self.files.get(name)
                self.send(f"213 {len(data)}" if data is not None else f"550 {arg}: No such file")
            elif verb == "DELE":
                if self.files.pop(name, None) is None:
                    self.send(f"550 {arg}: No such file")
                else:
                    self.send("250 Deleted")
            elif verb == "RETR":
                if not self.retr(name):
                    return
            elif verb == "STOR":
                if not self.stor(name):
                    return
            elif verb == "NLST":
                self.nlst()
            else:
                self.send(f"502 {verb} not implemented")


def close_data(conn):
    """Closes a finished data connection, with TLS's close_notify first in implicit_tls."""
    if isinstance(conn, ssl.SSLSocket):
        try:
            conn = conn.unwrap()
        except (OSError, ssl.SSLError):
            pass
    conn.close()


def handle(sock, mode, files):
    if TLS is not None:
        try:
            sock = TLS.wrap_socket(sock, server_side=True)
        except (OSError, ssl.SSLError) as e:
            log(f"ftp_peer {mode}: TLS handshake failed: {e}")
            sock.close()
            return
    session = Session(sock, mode, files)
    try:
        session.serve()
    except OSError as e:
        log(f"ftp_peer {mode}: {e}")
    session.close()


def main():
    global TLS
    if len(sys.argv) < 2 or sys.argv[1] not in MODES or (sys.argv[1] == "implicit_tls") != (len(sys.argv) == 4):
        sys.exit(f"usage: ftp_peer.py {{{'|'.join(sorted(MODES))}}} (implicit_tls CERT KEY)")
    mode = sys.argv[1]
    if mode == "implicit_tls":
        TLS = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        TLS.load_cert_chain(sys.argv[2], sys.argv[3])
    files = {"hello.txt": HELLO, "bytes.bin": BYTES}
    run_server("ftp_peer", mode, LIFETIME, lambda sock: handle(sock, mode, files))


if __name__ == "__main__":
    main()
