#!/usr/bin/env python3
"""dkim_verify.py MESSAGE KEYTXT - verify the message's DKIM-Signature
with python3-dkim, the public key taken from opendkim-genkey's .txt
file instead of DNS; exit 0 when it verifies."""
import re
import sys

import dkim

msg = open(sys.argv[1], "rb").read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
txt = open(sys.argv[2]).read()
record = "".join(re.findall(r'"([^"]*)"', txt)).encode()


def dnsfunc(name, timeout=5):
    if name.decode() if isinstance(name, bytes) else name:
        return record
    return None


ok = dkim.verify(msg, dnsfunc=dnsfunc)
print("dkim verify:", ok)
sys.exit(0 if ok else 1)
