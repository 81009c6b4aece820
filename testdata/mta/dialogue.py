#!/usr/bin/python3
"""dialogue.py PORT FILE - SMTP dialogues, one per line of FILE, each on a
new connection to 127.0.0.1:PORT; prints one line per dialogue:
"NAME | reply | reply ..." with the last line of each reply.

A line is "NAME SRCADDR CMD ; CMD ; ...". A CMD starting with "+" is
pipelined: it is sent together with the commands before it that were
not yet answered (so "HELO x ; MAIL FROM:<a> ; +RCPT TO:<b>" sends MAIL
and RCPT in one write). QUIT is added at the end. Lines starting with #
are comments."""
import socket
import sys


def read_reply(f):
    last = b""
    while True:
        line = f.readline()
        if not line:
            return "(connection closed)"
        last = line
        if len(line) < 4 or line[3:4] != b"-":
            return last.decode("utf-8", "replace").rstrip("\r\n")


def run(port, src, cmds):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(30)
    s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    f = s.makefile("rb")
    out = []
    greet = read_reply(f)
    if not greet.startswith("220"):
        out.append(greet)  # a rejected client (smtpd_delay_reject = no)
    groups = []
    for c in cmds:
        if c.startswith("+") and groups:
            groups[-1].append(c[1:])
        else:
            groups.append([c.lstrip("+")])
    groups.append(["QUIT"])
    for g in groups:
        s.sendall(b"".join(x.encode() + b"\r\n" for x in g))
        for c in g:
            r = read_reply(f)
            # the EHLO keywords are another test's business: code only
            if c[:4].upper() in ("EHLO", "HELO") and r[:1] == "2":
                r = r[:3]
            out.append(r)
            if r == "(connection closed)":
                return out
    s.close()
    return out


def main():
    port = int(sys.argv[1])
    for line in open(sys.argv[2]):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, src, rest = line.split(None, 2)
        cmds = [c.strip() for c in rest.split(";") if c.strip()]
        replies = run(port, src, cmds)
        # a 220 greeting and QUIT are the same everywhere: not shown
        print(name + " | " + " | ".join(replies[:-1]))
        sys.stdout.flush()


main()
