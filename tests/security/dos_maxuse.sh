#!/usr/bin/env bash
# dos_maxuse.sh - a worker that reached max_use while its sessions still
# run takes no new session, so master must fork another: clients that
# hold sessions open (one line, then silence) must not stall everyone
# behind them.
#
#   dos_maxuse.sh BIN
#
# Attack: with max_use = 3, clients from 127.0.0.2 each send "EHLO x"
# and hold. Before the fix the first worker, at max_use with three held
# sessions, still looked idle in its shared slot, so master forked no
# other worker and the fourth client's EHLO waited for smtpd_timeout
# (300 s); a legitimate client waited behind it.
set -u
BIN=$1
. "$(dirname "$0")/lib.sh"

sec_setup "max_use = 3"
mta_start
$PY - "$PORT" <<'PY' || fail "sessions stalled behind a worker at max_use"
import smtplib, socket, sys, time

port = int(sys.argv[1])
held = []
for i in range(7):
    s = socket.socket()
    s.bind(("127.0.0.2", 0))
    s.settimeout(3)
    s.connect(("127.0.0.1", port))
    t0 = time.time()
    d = b""
    try:
        while not d.endswith(b"\r\n"):
            d += s.recv(512)           # greeting (from the front)
        s.sendall(b"EHLO x\r\n")       # one line, then silence
        d = b""
        while not d.endswith(b"250 CHUNKING\r\n"):
            c = s.recv(4096)           # answered by a worker
            if not c:
                sys.exit("held client %d: closed (%r)" % (i, d))
            d += c
    except socket.timeout:
        sys.exit("held client %d: no EHLO reply after %.1f s (got %r)" %
                 (i, time.time() - t0, d))
    held.append(s)
print("7 clients hold sessions (EHLO answered for each) with max_use = 3")
t0 = time.time()
with smtplib.SMTP("127.0.0.1", port, timeout=5, source_address=("127.0.0.3", 0),
                  local_hostname="good.example.org") as c:
    c.sendmail("good@example.org", ["alice@local.test"],
               "Subject: behind max_use\r\n\r\nx\r\n")
took = time.time() - t0
print("another client delivered in %.3f s" % took)
if took > 2:
    sys.exit("too slow")
for s in held:
    s.close()
PY
wait_log 'to=<alice@local\.test>, .*status=sent' 1 20
n=$(grep -oE 'postfix/smtpd\[[0-9]+\]: connect from' "$T/maillog" | sort -u | wc -l)
[ "$n" -ge 3 ] || fail "at least 3 workers (max_use 3) served the 8 sessions (saw $n)"
pass "workers at max_use count as busy: master forked for the waiting sessions ($n workers)"
