#!/usr/bin/env bash
# mta_co.sh - sessions that share an smtpd worker (coroutines, see
# ARCHITECTURE.md "smtpd workers serve several sessions") stay apart, and
# a reload in the middle of their transactions loses none of them.
#
#   mta_co.sh BIN
#
# Six clients step through their transactions in interleaved order (all
# EHLO, three STARTTLS with their handshakes interleaved step by step,
# all MAIL, all RCPT, ...), each with its own sender, recipients and
# body; every reply must be the one its own command asks for, and every
# message must arrive with its own body, envelope and protocol. Halfway (after RCPT)
# the mail system is reloaded: the sessions already in a worker go on to
# their end (as in Postfix; they used to get "421 Service shutting down"
# at their next command), a new client is served by the new processes,
# and the old worker exits once its sessions are done. Loopback only.
set -u
BIN=$1
. "$(dirname "$0")/mta_lib.sh"

mta_setup
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -subj /CN=mx.example.test -days 2 -keyout "$T/key.pem" -out "$T/cert.pem" \
    >/dev/null 2>&1 || fail "openssl"
chmod 644 "$T/key.pem" "$T/cert.pem"
cat >> "$T/etc/main.cf" <<CF
smtpd_tls_security_level = may
smtpd_tls_cert_file = $T/cert.pem
smtpd_tls_key_file = $T/key.pem
CF
mta_start
$PY - "$PORT" "$T/etc" "$BIN" <<'PY' || fail "clients"
import os, select, smtplib, socket, ssl, subprocess, sys, time
port = int(sys.argv[1])
def fail(m):
    print("FAIL: " + m, file=sys.stderr); sys.exit(1)

class Client:
    def __init__(self, i):
        self.i = i
        self.s = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""
        self.expect("220 ")
    def reply(self):
        # one whole reply (multi-line: up to the "ddd " line)
        while True:
            lines = self.buf.split(b"\r\n")
            for k, l in enumerate(lines[:-1]):
                if len(l) >= 4 and l[3:4] == b" ":
                    r = b"\r\n".join(lines[:k + 1])
                    self.buf = b"\r\n".join(lines[k + 1:])
                    return r.decode()
            d = self.s.recv(4096)
            if not d:
                fail("client %d: connection closed (%r)" % (self.i, self.buf))
            self.buf += d
    def expect(self, code, what=""):
        r = self.reply()
        if not r.split("\r\n")[-1].startswith(code) or what not in r:
            fail("client %d: wanted %s%s, got %r" % (self.i, code, what and " with " + what, r))
        return r
    def cmd(self, line, code, what=""):
        self.s.sendall(line.encode() + b"\r\n")
        return self.expect(code, what)

cs = [Client(i) for i in range(6)]
for c in cs:
    c.cmd("EHLO client%d.example.org" % c.i, "250", "STARTTLS")

# three of them start TLS, the handshakes interleaved: every client takes
# one step in turn, so the worker has three handshakes half done at once
tls = cs[1::2]
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
for c in tls:
    c.cmd("STARTTLS", "220")
    if c.buf:
        fail("client %d: bytes after the STARTTLS reply" % c.i)
    c.s.setblocking(False)
    c.s = ctx.wrap_socket(c.s, server_hostname="mx.example.test",
                          do_handshake_on_connect=False)
pending = list(tls)
deadline = time.time() + 10
while pending:
    if time.time() > deadline:
        fail("TLS handshakes not done: clients %r" % [c.i for c in pending])
    for c in list(pending):
        try:
            c.s.do_handshake()
            pending.remove(c)
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
            pass
    select.select([c.s for c in pending], [], [], 0.05)
for c in tls:
    c.s.setblocking(True)
    c.s.settimeout(10)
    c.cmd("EHLO client%d.example.org" % c.i, "250", "mx.example.test")
for c in cs:
    c.cmd("MAIL FROM:<sender%d@example.org>" % c.i, "250")
for c in cs:
    c.cmd("RCPT TO:<alice@local.test>", "250")
    # an unknown user: the rejection names this client's own address
    c.cmd("RCPT TO:<nobody%d@local.test>" % c.i, "550", "nobody%d@local.test" % c.i)
for c in cs[::2]:
    c.cmd("RCPT TO:<bob@local.test>", "250")

as_user = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"] if os.getuid() == 0 else []
subprocess.run(as_user + [sys.argv[3], "reload", "-c", sys.argv[2]], check=True,
               stderr=subprocess.DEVNULL)
time.sleep(0.3)

# the sessions of before the reload go on where they were
for c in cs:
    c.cmd("DATA", "354")
for c in reversed(cs):
    # bodies sent in pieces, interleaved with the other sessions
    c.s.sendall(b"Subject: from client %d\r\n\r\n" % c.i)
for c in cs:
    c.s.sendall(b"body of client %d\r\n..dot line %d\r\n" % (c.i, c.i))
ids = {}
for c in cs:
    c.s.sendall(b".\r\n")
    r = c.expect("250", "queued as ")
    ids[c.i] = r.rsplit(" ", 1)[-1]
for c in cs:
    c.cmd("QUIT", "221")
    c.s.close()

# and a new client gets the new processes
t0 = time.time()
with smtplib.SMTP("127.0.0.1", port, timeout=10) as n:
    n.sendmail("new@example.org", ["alice@local.test"], "Subject: after reload\r\n\r\nnew\r\n")
if time.time() - t0 > 3:
    fail("a new client took %.1f s after the reload" % (time.time() - t0))
if len(set(ids.values())) != 6:
    fail("queue IDs not distinct: %r" % ids)
for i, q in sorted(ids.items()):
    print("%d %s" % (i, q))
PY
wait_log 'to=<alice@local\.test>, .*status=sent' 7
wait_log 'to=<bob@local\.test>, .*status=sent' 3
pass "six interleaved sessions and one after the reload delivered (7 to alice, 3 to bob)"

# each message has its own body and envelope
for i in 0 1 2 3 4 5; do
    f=$(grep -l "^Subject: from client $i\$" "$T"/mail/alice/new/* 2>/dev/null)
    [ "$(printf '%s\n' "$f" | grep -c .)" = 1 ] || fail "client $i: one message for alice (found: $f)"
    grep -q "^body of client $i\$" "$f" || fail "client $i: its own body"
    grep -q "^\.dot line $i\$" "$f" || fail "client $i: dot-stuffing undone"
    grep -q "^Return-Path: <sender$i@example.org>\$" "$f" || fail "client $i: its own sender"
    grep -q "client$i.example.org" "$f" || fail "client $i: its own HELO in Received:"
    if [ $((i % 2)) = 1 ]; then
        grep -q "with ESMTPS id" "$f" || fail "client $i: received over TLS (ESMTPS)"
    else
        grep -q "with ESMTP id" "$f" || fail "client $i: received in plain text (ESMTP)"
    fi
    [ "$(grep -c '^body of client' "$f")" = 1 ] || fail "client $i: another session's body in it"
done
for i in 0 2 4; do
    grep -q "^Subject: from client $i\$" "$T/mail/bob.mbox" || fail "client $i: copy for bob"
done
for i in 1 3 5; do
    grep -q "^Subject: from client $i\$" "$T/mail/bob.mbox" && fail "client $i: bob was not its recipient"
done
pass "every message has its own sender, HELO, body, recipients and protocol (ESMTPS for the three TLS sessions)"

# the six shared a worker, which exited once they were done
w=$(grep -oE 'postfix/smtpd\[[0-9]+\]: connect from' "$T/maillog" | head -6 | sort | uniq -c | sort -rn | awk 'NR == 1 { print $1 }')
[ "${w:-0}" -ge 2 ] || fail "no worker held two of the six sessions at once (most: ${w:-0})"
old=$(grep -oE 'postfix/smtpd\[[0-9]+\]: connect from' "$T/maillog" | head -1 | grep -oE '[0-9]+')
for _ in $(seq 50); do kill -0 "$old" 2>/dev/null || break; sleep 0.1; done
kill -0 "$old" 2>/dev/null && fail "the worker of before the reload ($old) is still running"
pass "sessions shared a worker ($w at most); it exited after the reload once they ended"
