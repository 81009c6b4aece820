#!/usr/bin/env python3
"""filter.py LISTEN_PORT REINJECT_PORT LOGFILE - a small after-queue content
filter for tests/mta_filter.sh: an SMTP server on loopback that adds an
"X-Test-Filter: passed" header to every message and reinjects it over SMTP
(same envelope) to 127.0.0.1:REINJECT_PORT. It answers the end of DATA with
the reinjection's verdict (250 "Ok: queued as ID", or 451 when the
reinjection failed), as amavis does, and logs one line per message
("from=<s> to=<r,...> reinjected=<reply>") to LOGFILE."""
import smtplib
import socket
import socketserver
import sys

LPORT, RPORT, LOG = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]


class Handler(socketserver.StreamRequestHandler):
    def reply(self, text):
        self.wfile.write((text + "\r\n").encode())
        self.wfile.flush()

    def handle(self):
        self.reply("220 filter.test ESMTP test filter")
        sender, rcpts = None, []
        while True:
            line = self.rfile.readline()
            if not line:
                return
            cmd = line.decode("utf-8", "replace").rstrip("\r\n")
            verb = cmd[:4].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250-filter.test\r\n250 8BITMIME" if verb == "EHLO"
                           else "250 filter.test")
            elif verb == "MAIL":
                sender, rcpts = cmd[10:].split(">")[0].lstrip("<"), []
                self.reply("250 2.1.0 Ok")
            elif verb == "RCPT":
                rcpts.append(cmd[8:].split(">")[0].lstrip("<"))
                self.reply("250 2.1.5 Ok")
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                lines = []
                while True:
                    l = self.rfile.readline()
                    if not l or l in (b".\r\n", b".\n"):
                        break
                    lines.append(l[1:] if l.startswith(b"..") else l)
                self.reply(self.reinject(sender, rcpts, b"".join(lines)))
                sender, rcpts = None, []
            elif verb == "RSET":
                sender, rcpts = None, []
                self.reply("250 2.0.0 Ok")
            elif verb == "QUIT":
                self.reply("221 2.0.0 Bye")
                return
            else:
                self.reply("250 2.0.0 Ok" if verb == "NOOP" else "502 5.5.2 Error")

    def reinject(self, sender, rcpts, data):
        msg = b"X-Test-Filter: passed\r\n" + data
        try:
            s = smtplib.SMTP("127.0.0.1", RPORT, local_hostname="filter.test",
                             timeout=20)
            s.ehlo("filter.test")
            s.mail(sender)
            for r in rcpts:
                s.rcpt(r)
            code, text = s.data(msg)
            s.quit()
            verdict = "%d %s" % (code, text.decode())
        except Exception as e:  # the reinjection listener refused or is down
            verdict = "451 4.3.0 reinjection failed: %s" % e
        with open(LOG, "a") as f:
            f.write("from=<%s> to=<%s> reinjected=%s\n"
                    % (sender, ",".join(rcpts), verdict))
        return verdict


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    address_family = socket.AF_INET


Server(("127.0.0.1", LPORT), Handler).serve_forever()
