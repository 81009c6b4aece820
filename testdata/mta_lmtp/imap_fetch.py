#!/usr/bin/env python3
"""imap_fetch.py PORT USER PASSWORD - log in to the IMAP server on
127.0.0.1:PORT with imaplib and print every message of INBOX, each as
"=== n" then its full text (headers and body, CRLF made LF). Exit 1
when the login or a command fails."""
import imaplib
import sys

port, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3]
try:
    m = imaplib.IMAP4("127.0.0.1", port, timeout=10)
    m.login(user, password)
    typ, data = m.select("INBOX", readonly=True)
    if typ != "OK":
        raise RuntimeError("select: %r" % data)
    typ, data = m.search(None, "ALL")
    for num in data[0].split():
        typ, msg = m.fetch(num, "(RFC822)")
        if typ != "OK":
            raise RuntimeError("fetch: %r" % msg)
        print("=== %s" % num.decode())
        print(msg[0][1].decode("utf-8", "replace").replace("\r\n", "\n"))
    m.logout()
except Exception as e:
    print("imap_fetch.py: %s" % e, file=sys.stderr)
    sys.exit(1)
