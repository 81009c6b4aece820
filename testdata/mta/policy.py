#!/usr/bin/python3
"""policy.py PORT LOG - a Postfix policy server (SMTPD_POLICY_README) on
127.0.0.1:PORT for tests/mta_restrict.sh. Each request's attributes are
appended to LOG as one line "name=value|name=value..."; the action comes
from the recipient's local part: policy-reject, policy-defer (a
DEFER_IF_PERMIT), policy-code (a 4NN with enhanced code), policy-dunno,
anything else DUNNO. Several requests may come on one connection."""
import socketserver
import sys

ACTIONS = {
    "policy-reject": "REJECT policy says no",
    "policy-defer": "DEFER_IF_PERMIT policy says later",
    "policy-code": "451 4.7.1 policy is busy",
    "policy-ok": "OK",
}


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        attrs = []
        for raw in self.rfile:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            if line:
                attrs.append(line)
                continue
            with open(sys.argv[2], "a") as log:
                log.write("|".join(attrs) + "\n")
            rcpt = dict(a.split("=", 1) for a in attrs if "=" in a)
            local = rcpt.get("recipient", "").split("@")[0]
            action = ACTIONS.get(local, "DUNNO")
            self.wfile.write(("action=%s\n\n" % action).encode())
            self.wfile.flush()
            attrs = []


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


Server(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
