#!/usr/bin/env python3
"""pysink.py ADDR PORT DIR [CERT KEY] - a small SMTP sink for the client
tests, for what smtp-sink does not show: which connection each
transaction came on, IPv6 listeners, and (with CERT and KEY) the TLS
server name (SNI) a client sends after STARTTLS. Announces PIPELINING,
8BITMIME, SIZE (and STARTTLS). Each accepted message is written to
DIR/<conn>-<txn>.eml; DIR/log gets one line per transaction:
"conn=N peer=ADDR helo=H mail=<..> rcpts=K sni=NAME" (rcpts = RCPT
commands in the transaction; sni "-" without TLS, "none" when the client
sent none). Runs until killed."""
import os
import socket
import ssl
import sys
import threading

addr, port, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
tls = sys.argv[4:6] if len(sys.argv) > 5 else None
lock = threading.Lock()
conns = [0]


def log(line):
    with lock:
        with open(os.path.join(out, "log"), "a") as f:
            f.write(line + "\n")


def serve(c, peer, n):
    f = c.makefile("rwb", buffering=0)
    sni = ["-"]

    def on_sni(sock, name, ctx):
        sni[0] = name or "none"

    def say(s):
        f.write(s.encode() + b"\r\n")

    say("220 pysink ESMTP")
    helo, mail, rcpts, txn = "", "", 0, 0
    while True:
        line = f.readline()
        if not line:
            return
        cmd = line.decode("latin-1").rstrip("\r\n")
        verb = cmd.split(" ", 1)[0].upper()
        if verb in ("EHLO", "HELO"):
            helo = cmd[5:]
            if verb == "EHLO":
                f.write(b"250-pysink\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n"
                        + (b"250-STARTTLS\r\n" if tls and sni[0] == "-" else b"")
                        + b"250 8BITMIME\r\n")
            else:
                say("250 pysink")
        elif verb == "MAIL":
            mail, rcpts = cmd[10:].split(" ")[0], 0
            say("250 2.1.0 Ok")
        elif verb == "RCPT":
            rcpts += 1
            say("250 2.1.5 Ok")
        elif verb == "DATA":
            say("354 End data with <CR><LF>.<CR><LF>")
            body = []
            while True:
                l = f.readline()
                if not l or l == b".\r\n":
                    break
                body.append(l[1:] if l.startswith(b".") else l)
            txn += 1
            with open(os.path.join(out, "%d-%d.eml" % (n, txn)), "wb") as m:
                m.write(b"".join(body))
            log("conn=%d peer=%s helo=%s mail=%s rcpts=%d sni=%s" % (n, peer, helo, mail, rcpts, sni[0]))
            say("250 2.0.0 Ok: queued")
        elif verb == "STARTTLS" and tls:
            say("220 2.0.0 Ready to start TLS")
            sni[0] = "none"
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)  # one per session
            ctx.load_cert_chain(tls[0], tls[1])
            ctx.sni_callback = on_sni
            c = ctx.wrap_socket(c, server_side=True)
            f = c.makefile("rwb", buffering=0)
        elif verb == "RSET":
            say("250 2.0.0 Ok")
        elif verb == "QUIT":
            say("221 2.0.0 Bye")
            return
        else:
            say("250 2.0.0 Ok")


fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((addr, port))
s.listen(64)
while True:
    c, a = s.accept()
    conns[0] += 1
    threading.Thread(target=serve, args=(c, a[0], conns[0]), daemon=True).start()
