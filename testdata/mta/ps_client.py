#!/usr/bin/env python3
"""ps_client.py - an SMTP client for the postscreen tests.

usage: ps_client.py HOST PORT SRCADDR MODE [RCPT]
MODE: honest (waits for the "220 " line), pregreet (talks at once after
the teaser's first line), drop (prints what the server says, then EOF),
pipeline (EHLO, then MAIL and RCPT in one write, without PIPELINING),
barelf (commands end in a bare LF), nonsmtp (an HTTP request first).
Prints each server reply's full last line, one per line, so tests can
compare them with Postfix's; "EOF" when the server closed.
"""
import socket
import sys

host, port, src, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
rcpt = sys.argv[5] if len(sys.argv) > 5 else "alice@local.test"
s = socket.socket()
s.settimeout(30)
s.bind((src, 0))
s.connect((host, port))
f = s.makefile("rb")


def reply():
    while True:
        line = f.readline()
        if not line:
            print("EOF")
            sys.stdout.flush()
            sys.exit(0)
        line = line.decode("latin-1").rstrip("\r\n")
        if len(line) < 4 or line[3] != "-":
            print(line)
            sys.stdout.flush()
            return line


def cmd(text):
    s.sendall(text.encode() + b"\r\n")
    return reply()


if mode == "pregreet":
    first = f.readline()  # the teaser "220-..."
    s.sendall(b"EHLO bot.example\r\n")
    reply()  # the EHLO reply (postscreen sends no 220 to a pregreeter)
elif mode == "drop":
    reply()
    sys.exit(0)
elif mode == "pipeline":
    reply()
    cmd("EHLO client.example")
    s.sendall(b"MAIL FROM:<sender@example.org>\r\nRCPT TO:<%s>\r\n"
              % rcpt.encode())
    reply()
    reply()
    cmd("QUIT")
    sys.exit(0)
elif mode == "nonsmtp":
    reply()
    cmd("GET / HTTP/1.0")
    cmd("EHLO client.example")
elif mode == "barelf":
    reply()
    s.sendall(b"EHLO client.example\n")
    reply()
else:
    reply()
    cmd("EHLO client.example")
r = cmd("MAIL FROM:<sender@example.org>")
r = cmd("RCPT TO:<%s>" % rcpt)
if r.startswith("250"):
    if cmd("DATA").startswith("354"):
        s.sendall(b"Subject: postscreen test\r\n\r\nhello\r\n.\r\n")
        reply()
cmd("QUIT")
