#!/usr/bin/env python3
"""Python's answers to the lookups netscript's socket module offers, as JSON."""
import json
import socket

print(json.dumps({
    "gethostbyname": socket.gethostbyname("localhost"),
    "getservbyname": socket.getservbyname("smtp", "tcp"),
    "getservbyport": socket.getservbyport(993, "tcp"),
    "gethostbyaddr": list(socket.gethostbyaddr("127.0.0.1")),
    "gethostname": socket.gethostname(),
}))
