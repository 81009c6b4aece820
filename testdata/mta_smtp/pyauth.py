#!/usr/bin/env python3
"""pyauth.py ADDR PORT DIR [options] - an SMTP server for the SMTP AUTH
client tests (tests/mta_smtp3.sh). It offers AUTH (PLAIN and LOGIN by
default) and checks the credentials; with --cert/--key it offers
STARTTLS and records whether AUTH came after it. Options:
  --user U --pass P     the only good credentials (default user/secret)
  --mechs "PLAIN LOGIN" the AUTH list announced ("" for no AUTH)
  --cert C --key K      offer STARTTLS
  --greet "554 5.3.2 x" the greeting (default "220 pyauth ESMTP")
DIR/log gets one line per event:
  "auth conn=N mech=M user=U tls=yes|no result=ok|bad"
  "msg conn=N helo=VERB auth=U|none tls=yes|no rcpts=K"
  "greet conn=N" (a connection that got the greeting)
Runs until killed."""
import base64
import os
import socket
import ssl
import sys
import threading

args = sys.argv[1:]
addr, port, out = args[0], int(args[1]), args[2]
opt = {"--user": "user", "--pass": "secret", "--mechs": "PLAIN LOGIN",
       "--cert": None, "--key": None, "--greet": "220 pyauth ESMTP"}
i = 3
while i < len(args):
    opt[args[i]] = args[i + 1]
    i += 2
lock = threading.Lock()


def log(line):
    with lock:
        with open(os.path.join(out, "log"), "a") as f:
            f.write(line + "\n")


def serve(c, n):
    f = c.makefile("rwb", buffering=0)
    tls = False
    auth = "none"

    def say(s):
        f.write(s.encode() + b"\r\n")

    def rd():
        l = f.readline()
        return None if not l else l.decode("latin-1").rstrip("\r\n")

    say(opt["--greet"])
    log("greet conn=%d" % n)
    if not opt["--greet"].startswith("2"):
        rd()
        return
    helo, rcpts = "", 0
    while True:
        cmd = rd()
        if cmd is None:
            return
        verb = cmd.split(" ", 1)[0].upper()
        if verb in ("EHLO", "HELO"):
            helo = verb
            if verb == "EHLO":
                lines = ["pyauth", "PIPELINING", "8BITMIME"]
                if opt["--cert"] and not tls:
                    lines.append("STARTTLS")
                if opt["--mechs"]:
                    lines.append("AUTH " + opt["--mechs"])
                for l in lines[:-1]:
                    say("250-" + l)
                say("250 " + lines[-1])
            else:
                say("250 pyauth")
        elif verb == "STARTTLS" and opt["--cert"] and not tls:
            say("220 2.0.0 Ready to start TLS")
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(opt["--cert"], opt["--key"])
            c = ctx.wrap_socket(c, server_side=True)
            f = c.makefile("rwb", buffering=0)
            tls = True
        elif verb == "AUTH":
            parts = cmd.split(" ")
            mech = parts[1].upper() if len(parts) > 1 else ""
            user = pw = None
            try:
                if mech == "PLAIN":
                    if len(parts) > 2:
                        resp = parts[2]
                    else:
                        say("334 ")
                        resp = rd()
                    _, user, pw = base64.b64decode(resp).decode().split("\0")
                elif mech == "LOGIN":
                    say("334 VXNlcm5hbWU6")
                    user = base64.b64decode(rd()).decode()
                    say("334 UGFzc3dvcmQ6")
                    pw = base64.b64decode(rd()).decode()
            except Exception:
                user = pw = None
            ok = user == opt["--user"] and pw == opt["--pass"]
            log("auth conn=%d mech=%s user=%s tls=%s result=%s"
                % (n, mech, user, "yes" if tls else "no", "ok" if ok else "bad"))
            if ok:
                auth = user
                say("235 2.7.0 Authentication successful")
            else:
                say("535 5.7.8 Error: authentication failed: authentication failure")
        elif verb == "MAIL":
            rcpts = 0
            say("250 2.1.0 Ok")
        elif verb == "RCPT":
            rcpts += 1
            say("250 2.1.5 Ok")
        elif verb == "DATA":
            say("354 End data with <CR><LF>.<CR><LF>")
            while True:
                l = f.readline()
                if not l or l == b".\r\n":
                    break
            log("msg conn=%d helo=%s auth=%s tls=%s rcpts=%d"
                % (n, helo, auth, "yes" if tls else "no", rcpts))
            say("250 2.0.0 Ok: queued")
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
conns = 0
while True:
    c, a = s.accept()
    conns += 1
    threading.Thread(target=serve, args=(c, conns), daemon=True).start()
