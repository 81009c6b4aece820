#!/usr/bin/env python3
"""send.py PORT FROM RCPT FILE - one message (FILE, LF line ends) over
SMTP; prints "CODE TEXT" of the server's answer to the end of data."""
import smtplib
import sys

port, sender, rcpt, path = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
msg = open(path, "rb").read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
s = smtplib.SMTP("127.0.0.1", port, local_hostname="client.example.org", timeout=60)
s.ehlo("client.example.org")
s.mail(sender)
code, text = s.rcpt(rcpt)
if code != 250:
    print(code, text.decode())
    sys.exit(0)
code, text = s.data(msg)
print(code, text.decode())
try:
    s.quit()
except Exception:
    pass
