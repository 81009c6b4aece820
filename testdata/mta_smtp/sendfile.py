#!/usr/bin/env python3
"""sendfile.py PORT FROM RCPT FILE [MAIL-OPTION...] - send FILE's bytes
(line ends made CRLF) as one message over SMTP to 127.0.0.1:PORT (e.g. BODY=8BITMIME)."""
import smtplib
import sys

port, sender, rcpt, path = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
with open(path, "rb") as f:
    msg = f.read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
s = smtplib.SMTP("127.0.0.1", port, local_hostname="client.example.org", timeout=20)
s.sendmail(sender, [rcpt], msg, mail_options=sys.argv[5:])
s.quit()
