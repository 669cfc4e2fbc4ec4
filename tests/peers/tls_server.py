#!/usr/bin/env python3
"""An HTTPS server (Python's http.server + ssl) with the given certificate and key, on
127.0.0.1 and a port of its own choosing, which it prints first. Answers every GET with
"tls ok". Usage: tls_server.py CERT.pem KEY.pem"""
import http.server
import ssl
import sys


class Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"tls ok"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hello)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(sys.argv[1], sys.argv[2])
server.socket = context.wrap_socket(server.socket, server_side=True)
print(server.server_address[1], flush=True)
server.serve_forever()
