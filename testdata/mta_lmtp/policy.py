#!/usr/bin/python3
"""policy.py - a Postfix policy server for the spawn tests: reads
requests (name=value lines, then an empty line) on stdin until EOF and
answers each on stdout: "action=REJECT Spawned policy says no" for a
recipient starting "blocked", else "action=DUNNO". Each request's
recipient is appended to $POLICY_LOG."""
import os
import sys

attrs = {}
for line in sys.stdin:
    line = line.rstrip("\n")
    if line:
        k, _, v = line.partition("=")
        attrs[k] = v
        continue
    rcpt = attrs.get("recipient", "")
    log = os.environ.get("POLICY_LOG")
    if log:
        with open(log, "a") as f:
            f.write("%s uid=%d\n" % (rcpt, os.getuid()))
    if rcpt.startswith("blocked"):
        sys.stdout.write("action=REJECT Spawned policy says no\n\n")
    else:
        sys.stdout.write("action=DUNNO\n\n")
    sys.stdout.flush()
    attrs = {}
