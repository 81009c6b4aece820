#!/usr/bin/env python3
"""send.py PORT FROM N RCPT... - N messages over one SMTP session, each
with a unique "X-Seq: <tag>-<i>" header; prints the tag of every message
the server acknowledged (250) on stdout, one per line, as soon as it is
acknowledged (the crash test counts them)."""
import smtplib
import sys

port, sender, n, rcpts = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4:]
tag = "m"
if rcpts and rcpts[0].startswith("--tag="):
    tag = rcpts.pop(0)[6:]
body = "x" * 70 + "\r\n"
try:
    s = smtplib.SMTP("127.0.0.1", port, local_hostname="client.example.org", timeout=20)
    for i in range(n):
        msg = ("From: <%s>\r\nTo: <%s>\r\nSubject: relay test %d\r\nX-Seq: %s-%d\r\n\r\n"
               "hello %d\r\n.leading dot\r\n%s" % (sender, rcpts[0], i, tag, i, i, body * 4))
        s.sendmail(sender, rcpts, msg)
        print("%s-%d" % (tag, i), flush=True)
    s.quit()
except Exception as e:  # the crash test kills the server under us
    print("send.py: %s" % e, file=sys.stderr)
    sys.exit(1)
