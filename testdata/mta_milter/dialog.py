#!/usr/bin/env python3
"""dialog.py PORT [RCPT...] - one SMTP session for tests/mta_milter2.sh:
greeting, EHLO client.example.org, MAIL FROM:<sender@example.test>, one
RCPT TO per RCPT (alice@local.test when none), DATA with a small message
when it is allowed, RSET, QUIT. Prints one line per reply: "WHAT: the
last line of the reply" (WHAT: greet ehlo mail rcpt data eod rset quit);
"closed" when the server hangs up."""
import socket
import sys

port, rcpts = int(sys.argv[1]), sys.argv[2:] or ["alice@local.test"]
s = socket.create_connection(("127.0.0.1", port), 30)
f = s.makefile("rb")


def reply(what):
    while True:
        try:
            line = f.readline().decode().rstrip("\r\n")
        except OSError:
            line = ""
        if not line:
            print("closed", flush=True)
            sys.exit(0)
        if len(line) < 4 or line[3] != "-":
            break
    print("%s: %s" % (what, line), flush=True)
    return line


def cmd(what, line):
    try:
        s.sendall(line.encode() + b"\r\n")
    except OSError:
        print("closed", flush=True)
        sys.exit(0)
    return reply(what)


reply("greet")
cmd("ehlo", "EHLO client.example.org")
cmd("mail", "MAIL FROM:<sender@example.test>")
for r in rcpts:
    cmd("rcpt", "RCPT TO:<%s>" % r)
if cmd("data", "DATA").startswith("354"):
    s.sendall(b"Subject: stages\r\n\r\nhello stages\r\n.\r\n")
    reply("eod")
cmd("rset", "RSET")
cmd("quit", "QUIT")
