#!/usr/bin/python3
"""smtpc.py - scripted SMTP dialogues for the MTA end-to-end tests.

usage: smtpc.py CASE DIR PORT [PORT2 ...]

Each case talks to a running Postern instance on 127.0.0.1 (clients may
bind other loopback source addresses such as 127.0.0.2), checks the
replies, and for delivered mail checks the mailbox files under DIR/mail.
Prints "ok: ..." per check; exits 1 at the first failure.
"""
import email
import glob
import os
import re
import smtplib
import socket
import ssl
import sys
import time

DIR = sys.argv[2]
PORTS = [int(p) for p in sys.argv[3:]]


def ok(msg):
    print("ok: " + msg, flush=True)


def fail(msg):
    print("FAIL: " + msg, flush=True)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)
    ok(msg)


class Raw:
    """A raw SMTP connection: send bytes, read replies."""

    def __init__(self, port, src="127.0.0.1", timeout=10):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=timeout,
                                          source_address=(src, 0))
        self.buf = b""

    def send(self, data):
        self.s.sendall(data)

    def reply(self):
        """one (possibly multi-line) reply: (code, text)"""
        lines = []
        while True:
            while b"\r\n" not in self.buf:
                chunk = self.s.recv(65536)
                if not chunk:
                    raise EOFError("connection closed; got %r" % lines)
                self.buf += chunk
            line, self.buf = self.buf.split(b"\r\n", 1)
            lines.append(line.decode("utf-8", "replace"))
            if len(line) < 4 or line[3:4] != b"-":
                return int(lines[-1][:3]), "\n".join(lines)

    def cmd(self, line):
        self.send(line.encode() + b"\r\n" if isinstance(line, str) else line)
        return self.reply()

    def closed(self):
        try:
            self.s.settimeout(5)
            return self.s.recv(1) == b""
        except (ConnectionResetError, socket.timeout):
            return True

    def close(self):
        self.s.close()


def maildir_files(user):
    return sorted(glob.glob(os.path.join(DIR, "mail", user, "new", "*")))


def wait_files(user, n, secs=10):
    for _ in range(secs * 20):
        f = maildir_files(user)
        if len(f) >= n:
            return f
        time.sleep(0.05)
    fail("expected %d messages in %s, have %d" % (n, user, len(maildir_files(user))))


def read(path):
    with open(path, "rb") as f:
        return f.read()


def find_by_subject(user, subject, secs=10):
    for _ in range(secs * 20):
        for f in maildir_files(user):
            if ("Subject: " + subject + "\n").encode() in read(f):
                return read(f)
        time.sleep(0.05)
    fail("no message with Subject %r for %s" % (subject, user))


def transaction(r, sender, rcpts, body, mail_params="", expect=250):
    c, t = r.cmd("MAIL FROM:<%s>%s" % (sender, mail_params))
    check(c == 250, "MAIL FROM accepted (%s)" % t)
    for rc in rcpts:
        c, t = r.cmd("RCPT TO:<%s>" % rc)
        check(c == 250, "RCPT TO:<%s> accepted" % rc)
    c, t = r.cmd("DATA")
    check(c == 354, "DATA -> 354")
    r.send(body)
    c, t = r.reply()
    check(c == expect, "end of data -> %d (%s)" % (expect, t))
    return t


def queued_id(text):
    m = re.match(r"250 2\.0\.0 Ok: queued as ([0-9A-F]+)$", text)
    check(m is not None, "reply is '250 2.0.0 Ok: queued as ID' (%s)" % text)
    return m.group(1)


# ---------------------------------------------------------------- cases

def case_basic():
    port = PORTS[0]
    # Python smtplib, Maildir user
    with smtplib.SMTP("127.0.0.1", port, local_hostname="client.example.net",
                      timeout=10) as s:
        code, ehlo = s.ehlo()
        for kw in ("PIPELINING", "SIZE", "8BITMIME", "ENHANCEDSTATUSCODES",
                   "DSN", "SMTPUTF8"):
            check(kw.encode() in ehlo, "EHLO offers " + kw)
        msg = ("From: a@example.com\r\nTo: alice@local.test\r\n"
               "Subject: smtplib maildir\r\nMessage-ID: <m1@example.com>\r\n"
               "\r\nhello alice\r\n")
        refused = s.sendmail("a@example.com", ["alice@local.test"], msg)
        check(refused == {}, "smtplib: recipient accepted")
    m = find_by_subject("alice", "smtplib maildir")
    check(m.startswith(b"Return-Path: <a@example.com>\nX-Original-To: alice@local.test\n"
                       b"Delivered-To: alice@local.test\nReceived: from client.example.net "
                       b"(unknown [127.0.0.1])\n\tby mx.example.test (Postern) with ESMTP id "),
          "Maildir message starts with Return-Path, X-Original-To, Delivered-To, Received")
    check(re.search(rb"\n\tfor <alice@local.test>; \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4} \(\w+\)\n",
                    m) is not None, "Received: has 'for <rcpt>; date'")
    check(b"\nhello alice\n" in m, "body delivered with LF line ends")
    # raw session to the mbox user, check reply format and ID in header
    r = Raw(port)
    check(r.reply()[0] == 220, "banner")
    r.cmd("EHLO client.example.net")
    t = transaction(r, "b@example.com", ["bob@local.test"],
                    b"Subject: to mbox\r\n\r\nline1\r\n.\r\n")
    qid = queued_id(t)
    r.cmd("QUIT")
    r.close()
    for _ in range(200):
        if os.path.exists(os.path.join(DIR, "mail", "bob.mbox")) and \
                b"to mbox" in read(os.path.join(DIR, "mail", "bob.mbox")):
            break
        time.sleep(0.05)
    mb = read(os.path.join(DIR, "mail", "bob.mbox"))
    check(re.match(rb"From b@example.com  \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\n", mb) is not None,
          "mbox From_ line")
    check(("with ESMTP id %s\n" % qid).encode() in mb, "queue ID in Received: header")
    check(mb.endswith(b"line1\n\n"), "mbox message ends with a blank line")
    # an alias with two local members
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as s:
        s.sendmail("c@example.com", ["team@local.test"],
                   "Subject: team mail\r\n\r\nfor the team\r\n")
    m = find_by_subject("alice", "team mail")
    check(b"X-Original-To: team@local.test\nDelivered-To: alice@local.test\n" in m,
          "alias expansion: X-Original-To team, Delivered-To alice")


def case_protocol():
    port = PORTS[0]
    r = Raw(port)
    r.reply()
    # pipelining: everything in one write
    r.send(b"EHLO client.example.net\r\nMAIL FROM:<p@example.com>\r\n"
           b"RCPT TO:<alice@local.test>\r\nRCPT TO:<nosuch@local.test>\r\n"
           b"RCPT TO:<carol@local.test>\r\nDATA\r\n")
    codes = [r.reply()[0] for _ in range(6)]
    check(codes == [250, 250, 250, 550, 250, 354],
          "pipelined EHLO/MAIL/RCPT/RCPT/RCPT/DATA replies in order %s" % codes)
    body = (b"Subject: dots and bytes\r\n\r\n"
            b"..leading dot\r\n"
            b"...two dots\r\n"
            b"8bit: Gr\xc3\xbc\xc3\x9fe\r\n"
            + b"L" * 5000 + b"\r\n"
            b"last\r\n.\r\n")
    r.send(body)
    c, t = r.reply()
    check(c == 250, "pipelined message queued")
    r.cmd("QUIT")
    m = find_by_subject("alice", "dots and bytes")
    check(b"\n.leading dot\n..two dots\n" in m, "dot-stuffing undone")
    check("8bit: Grüße\n".encode() in m, "8-bit body bytes kept")
    check(b"\n" + b"L" * 5000 + b"\nlast\n" in m, "5000-byte line kept whole")
    find_by_subject("carol", "dots and bytes")
    ok("second recipient got it too")

    # unknown user
    r = Raw(port)
    r.reply()
    r.cmd("HELO h")
    r.cmd("MAIL FROM:<x@example.com>")
    c, t = r.cmd("RCPT TO:<nosuch@local.test>")
    check(c == 550 and "5.1.1 <nosuch@local.test>: Recipient address rejected: "
          "User unknown in local recipient table" in t, "unknown user: 550 5.1.1")
    c, t = r.cmd("DATA")
    check(c == 554 and "no valid recipients" in t, "DATA without valid recipients: 554")
    # syntax and sequence errors
    check(r.cmd("RCPT TO:<alice@local.test>")[0] in (250, 503), "RCPT after MAIL")
    r.cmd("RSET")
    check(r.cmd("RCPT TO:<alice@local.test>")[0] == 503, "RCPT without MAIL: 503")
    check(r.cmd("MAIL FROM:<bad")[0] == 501, "bad MAIL syntax: 501")
    check(r.cmd("FOO")[0] == 500, "unknown command: 500 (as Postfix)")
    c, t = r.cmd("X" * 3000)
    check(c == 500, "over-long command line: 500")
    check(r.cmd("NOOP")[0] == 250, "session still usable after the long line")
    # client text echoed in a reply carries no control characters back
    # (a remote address: VRFY of an unknown local one is a 550, as Postfix)
    r.send(b"VRFY a\rb\x01c\x1b[2J@example.com\r\n")
    line = r.buf
    while b"\r\n" not in line:
        line += r.s.recv(65536)
    r.buf = b""
    # (VRFY now passes the recipient restrictions first, as in Postfix:
    # this unknown local user is refused, its name shown without them)
    check(line in (b"252 2.0.0 a?b?c?[2J\r\n",
                   b"252 2.0.0 a?b?c?[2J@example.com\r\n",
                   b"550 5.1.1 <a b c [2J>: Recipient address rejected: "
                   b"User unknown in local recipient table\r\n"),
          "VRFY echo: control characters do not come back (%r)" % line)
    r.cmd("QUIT")

    # DSN parameters and SMTPUTF8
    r = Raw(port)
    r.reply()
    r.cmd("EHLO client.example.net")
    c, t = r.cmd("MAIL FROM:<d@example.com> RET=HDRS ENVID=abc+2Bdef BODY=8BITMIME")
    check(c == 250, "MAIL with RET, ENVID, BODY")
    c, t = r.cmd("RCPT TO:<alice@local.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;alice@local.test")
    check(c == 250, "RCPT with NOTIFY and ORCPT")
    c, t = r.cmd("RCPT TO:<carol@local.test> NOTIFY=NEVER,SUCCESS")
    check(c == 501, "NOTIFY=NEVER with others: 501")
    c, t = r.cmd("RCPT TO:<carol@local.test> FOO=BAR")
    check(c == 555, "unknown RCPT parameter: 555")
    r.cmd("RSET")
    c, t = r.cmd("MAIL FROM:<\u00fc@example.com>".encode() + b"\r\n" if False else
                 "MAIL FROM:<ü@example.com>")
    # strict_smtputf8 = no (Postfix's default) takes it; the 553 with
    # strict_smtputf8 = yes is in tests/dialogues/mail.dlg
    check(c == 250, "8-bit address without SMTPUTF8: 250 (as Postfix)")
    r.cmd("RSET")
    c, t = r.cmd("MAIL FROM:<ü@example.com> SMTPUTF8")
    check(c == 250, "8-bit address with SMTPUTF8: 250")
    r.cmd("RCPT TO:<alice@local.test>")
    r.cmd("DATA")
    r.send("Subject: utf8 sender\r\n\r\nhej\r\n.\r\n".encode())
    c, t = r.reply()
    check(c == 250, "SMTPUTF8 message queued")
    r.cmd("QUIT")
    m = find_by_subject("alice", "utf8 sender")
    check("Return-Path: <ü@example.com>".encode() in m, "UTF-8 sender kept")
    check(b"with UTF8SMTP id" in m, "protocol UTF8SMTP in Received:")

    # size limit (message_size_limit = 100000 in this instance)
    r = Raw(port)
    r.reply()
    r.cmd("EHLO client.example.net")
    c, t = r.cmd("MAIL FROM:<big@example.com> SIZE=200000")
    check(c == 552 and "5.3.4" in t, "SIZE over the limit: 552 5.3.4")
    transaction(r, "big@example.com", ["alice@local.test"],
                b"Subject: too big\r\n\r\n" + (b"x" * 998 + b"\r\n") * 150 + b".\r\n",
                expect=552)
    check(r.cmd("NOOP")[0] == 250, "session continues after the 552")
    r.cmd("QUIT")

    # recipient limit (second listener: smtpd_recipient_limit = 2)
    r = Raw(PORTS[1])
    r.reply()
    r.cmd("EHLO client.example.net")
    r.cmd("MAIL FROM:<x@example.com>")
    r.cmd("RCPT TO:<alice@local.test>")
    r.cmd("RCPT TO:<carol@local.test>")
    c, t = r.cmd("RCPT TO:<bob@local.test>")
    check(c == 452 and "4.5.3" in t, "third recipient over smtpd_recipient_limit=2: 452 4.5.3")
    r.cmd("QUIT")

    # BDAT: chunks that split a CRLF, a dot line that is content, a bare
    # LF, a last line without its line end
    r = Raw(PORTS[0])
    r.reply()
    check("CHUNKING" in r.cmd("EHLO client.example.net")[1], "EHLO offers CHUNKING")
    r.cmd("MAIL FROM:<chunks@example.com>")
    r.cmd("RCPT TO:<alice@local.test>")
    parts = [b"Subject: chunked\r", b"\n\r\nline one\r\n.\r\n", b"bare\nlast"]
    for i, p in enumerate(parts):
        last = i == len(parts) - 1
        c, t = r.cmd(b"BDAT %d%s\r\n" % (len(p), b" LAST" if last else b"") + p)
        check(c == 250, "BDAT chunk %d: %s" % (i, t))
    check(t.startswith("250 2.0.0 Ok: 45 bytes queued as "), "BDAT LAST: %s" % t)
    r.cmd("QUIT")
    m = find_by_subject("alice", "chunked")
    check(m.endswith(b"\n\nline one\n.\nbare\nlast\n"),
          "BDAT content with LF line ends, the dot line kept: %r" % m[-40:])


def case_access():
    port = PORTS[0]
    # relaying from outside mynetworks (mynetworks = 127.0.0.1/32)
    r = Raw(port, src="127.0.0.2")
    r.reply()
    r.cmd("EHLO outside.example.net")
    r.cmd("MAIL FROM:<a@example.com>")
    c, t = r.cmd("RCPT TO:<x@example.net>")
    check(c == 554 and t == "554 5.7.1 <x@example.net>: Relay access denied",
          "relay from 127.0.0.2: 554 5.7.1 Relay access denied")
    c, t = r.cmd("RCPT TO:<alice@local.test>")
    check(c == 250, "local recipient from 127.0.0.2 accepted")
    r.cmd("QUIT")
    # relaying from inside mynetworks is allowed
    r = Raw(port)
    r.reply()
    r.cmd("EHLO inside")
    r.cmd("MAIL FROM:<a@example.com>")
    c, t = r.cmd("RCPT TO:<x@example.net>")
    check(c == 250, "relay from 127.0.0.1 (mynetworks) accepted")
    r.cmd("DATA")
    r.send(b"Subject: relayed\r\n\r\nx\r\n.\r\n")
    check(r.reply()[0] == 250, "relayed message queued")
    r.cmd("QUIT")
    # defer_unauth_destination on the second listener
    r = Raw(PORTS[1], src="127.0.0.2")
    r.reply()
    r.cmd("EHLO outside")
    r.cmd("MAIL FROM:<a@example.com>")
    c, t = r.cmd("RCPT TO:<x@example.net>")
    check(c == 454 and t == "454 4.7.1 <x@example.net>: Relay access denied",
          "defer_unauth_destination: 454 4.7.1")
    r.cmd("QUIT")
    # access tables
    r = Raw(port)
    r.reply()
    r.cmd("EHLO h.example.net")
    r.cmd("MAIL FROM:<a@example.com>")
    c, t = r.cmd("RCPT TO:<blocked@local.test>")
    check(c == 554 and t == "554 5.7.1 <blocked@local.test>: Recipient address rejected: no thanks",
          "check_recipient_access inline: REJECT text")
    r.cmd("RSET")
    r.cmd("MAIL FROM:<spammer@spam.example>")
    c, t = r.cmd("RCPT TO:<alice@local.test>")
    check(c == 550 and t == "550 5.7.1 <spammer@spam.example>: Sender address rejected: go away",
          "check_sender_access texthash: 550 with text")
    r.cmd("RSET")
    r.cmd("MAIL FROM:<friend@spam.example>")
    c, t = r.cmd("RCPT TO:<alice@local.test>")
    check(c == 250, "check_sender_access: OK for one address of the domain")
    r.cmd("QUIT")
    r = Raw(port, src="127.0.0.3")
    r.reply()
    r.cmd("EHLO h3")
    r.cmd("MAIL FROM:<a@example.com>")
    c, t = r.cmd("RCPT TO:<alice@local.test>")
    check(c == 554 and t == "554 5.7.1 <unknown[127.0.0.3]>: Client host rejected: Access denied",
          "check_client_access: client 127.0.0.3 rejected")
    r.cmd("QUIT")


def case_smuggle():
    """bare-LF tricks must never end DATA early"""
    port = PORTS[0]
    variants = [(b"lf-dot-lf", b"\n.\n"), (b"lf-dot-crlf", b"\n.\r\n"),
                (b"cr-dot-cr", b"\r.\r"), (b"crlf-dot-lf", b"\r\n.\n")]
    for name, seq in variants:
        r = Raw(port)
        r.reply()
        r.cmd("EHLO attacker.example")
        r.cmd("MAIL FROM:<a@example.com>")
        r.cmd("RCPT TO:<alice@local.test>")
        r.cmd("DATA")
        smuggled = (b"Subject: smuggle " + name + b"\r\n\r\nbefore" + seq +
                    b"MAIL FROM:<evil@example.com>\r\nRCPT TO:<carol@local.test>\r\n"
                    b"DATA\r\nSubject: smuggled " + name + b"\r\n\r\nevil\r\n.\r\n")
        r.send(smuggled)
        c, t = r.reply()
        check(c == 250, "%s: one message accepted at CRLF.CRLF" % name.decode())
        r.cmd("QUIT")
        m = find_by_subject("alice", "smuggle " + name.decode())
        check(b"MAIL FROM:<evil@example.com>" in m and
              (b"Subject: smuggled " + name) in m,
              "%s: the smuggled commands stayed inside the first message" % name.decode())
    time.sleep(0.5)
    check(not any(b"smuggled" in read(f) for f in maildir_files("carol")),
          "no smuggled message reached carol")
    # reject mode: bare LF refused, connection closed
    r = Raw(PORTS[1])
    r.reply()
    r.cmd("EHLO attacker.example")
    r.cmd("MAIL FROM:<a@example.com>")
    r.cmd("RCPT TO:<alice@local.test>")
    r.cmd("DATA")
    r.send(b"Subject: bare\r\n\r\nline with bare lf\n.\r\n")
    c, t = r.reply()
    check(c == 550 and "bare <LF> received" in t, "smtpd_forbid_bare_newline=reject: 550")
    check(r.closed(), "connection closed after the bare LF")


def case_limits():
    # smtpd_timeout = 2s on the second listener
    r = Raw(PORTS[1])
    r.reply()
    t0 = time.time()
    c, t = r.reply()
    check(c == 421 and "timeout exceeded" in t, "idle client: 421 4.4.2 timeout exceeded")
    check(time.time() - t0 < 6, "timeout after about smtpd_timeout")
    # silent after a command: the worker's socket timeout (the front armed
    # its listener, the accepted socket inherited it)
    r = Raw(PORTS[1])
    r.reply()
    check(r.cmd("HELO x")[0] == 250, "HELO")
    t0 = time.time()
    c, t = r.reply()
    el = time.time() - t0
    check(c == 421 and "timeout exceeded" in t, "silent after HELO: 421 4.4.2")
    check(1.5 < el < 6, "timeout after HELO about smtpd_timeout (%.1f s)" % el)
    # smtpd_client_connection_count_limit = 2 for clients outside mynetworks
    conns = [Raw(PORTS[1], src="127.0.0.2") for _ in range(2)]
    for c_ in conns:
        check(c_.reply()[0] == 220, "connection within the limit")
    third = Raw(PORTS[1], src="127.0.0.2")
    c, t = third.reply()
    check(c == 421 and "too many connections" in t, "third connection: 421 4.7.0")
    for c_ in conns:
        c_.close()
    third.close()
    mine = [Raw(PORTS[1]) for _ in range(3)]
    check(all(m.reply()[0] == 220 for m in mine), "mynetworks clients are not limited")
    for m in mine:
        m.close()


def case_tls():
    cert = os.path.join(DIR, "cert.pem")
    ctx = ssl.create_default_context(cafile=cert)
    with smtplib.SMTP("127.0.0.1", PORTS[0], local_hostname="client.example.net",
                      timeout=10) as s:
        s._host = "mx.example.test"
        code, ehlo = s.ehlo()
        check(b"STARTTLS" in ehlo, "EHLO offers STARTTLS")
        s.starttls(context=ctx)
        code, ehlo = s.ehlo()
        check(b"STARTTLS" not in ehlo, "no STARTTLS after TLS")
        s.sendmail("t@example.com", ["alice@local.test"],
                   "Subject: over tls\r\n\r\nsecret\r\n")
    m = find_by_subject("alice", "over tls")
    check(re.search(rb"\(using TLSv1\.[23] with cipher \S+ \(\d+/\d+ bits\)\)\n", m) is not None,
          "Received: notes the TLS cipher")
    check(b"with ESMTPS id" in m, "protocol ESMTPS")
    # smtpd_tls_security_level = encrypt
    r = Raw(PORTS[1])
    r.reply()
    r.cmd("EHLO x")
    c, t = r.cmd("MAIL FROM:<a@example.com>")
    check(c == 530 and "STARTTLS" in t, "encrypt level: MAIL before STARTTLS 530")
    r.cmd("QUIT")


def case_drain():
    """stop while one session idles and one is inside DATA"""
    import subprocess
    idle = Raw(PORTS[0])
    idle.reply()
    idle.cmd("EHLO idle")
    busy = Raw(PORTS[0])
    busy.reply()
    busy.cmd("EHLO busy")
    busy.cmd("MAIL FROM:<d@example.com>")
    busy.cmd("RCPT TO:<alice@local.test>")
    check(busy.cmd("DATA")[0] == 354, "DATA started before the stop")
    busy.send(b"Subject: in flight\r\n\r\nfirst half\r\n")
    t0 = time.time()
    stop = subprocess.Popen(os.environ["STOP_CMD"], shell=True)
    time.sleep(1)
    busy.send(b"second half\r\n.\r\n")
    c, t = busy.reply()
    check(c == 250, "the message in flight is accepted during stop (%s)" % t)
    try:
        c, t = busy.cmd("MAIL FROM:<e@example.com>")
        check(c == 421, "next command: 421 shutting down")
    except EOFError:
        ok("next command: connection closed")
    try:
        c, t = idle.reply()
        check(c == 421 and "shutting down" in t, "idle session told 421 4.3.2")
    except EOFError:
        ok("idle session closed")
    stop.wait(timeout=30)
    check(stop.returncode == 0, "postern stop succeeded")
    check(time.time() - t0 < 15, "stop took %.1f s" % (time.time() - t0))


def case_load():
    """N messages over S parallel sessions; prints accepted IDs"""
    import threading
    n, sessions = int(os.environ.get("N", "200")), int(os.environ.get("S", "8"))
    rcpt = os.environ.get("LOAD_RCPT", "alice@local.test").encode()
    ids, errors = [], []
    lock = threading.Lock()

    def worker(k):
        try:
            for i in range(k, n, sessions):
                r = Raw(PORTS[0])
                r.reply()
                r.send(b"EHLO load\r\nMAIL FROM:<l@example.com>\r\nRCPT TO:<%s>\r\nDATA\r\n" % rcpt)
                for _ in range(4):
                    r.reply()
                r.send(b"Subject: load %d\r\nMessage-ID: <load%d@example.com>\r\n\r\nx\r\n.\r\nQUIT\r\n" % (i, i))
                c, t = r.reply()
                if c == 250:
                    with lock:
                        ids.append(t.split()[-1])
                        # at once: a crash test kills the server mid-load
                        print(ids[-1], flush=True)
                r.close()
        except Exception as e:
            with lock:
                errors.append(str(e))

    th = [threading.Thread(target=worker, args=(k,)) for k in range(sessions)]
    for t in th:
        t.start()
    for t in th:
        t.join()
    if errors:
        print("errors: %d (%s)" % (len(errors), errors[0]), file=sys.stderr)


CASES = {k[5:]: v for k, v in globals().items() if k.startswith("case_")}
if __name__ == "__main__":
    CASES[sys.argv[1]]()
