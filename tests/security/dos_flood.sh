#!/usr/bin/env bash
# dos_flood.sh - one client address floods smtpd with connections that
# each send one line and then hold; every other client must still be
# served at once, and the flood's connections over
# smtpd_client_connection_count_limit (default 50) must be answered
# "421 4.7.0 ... too many connections from ..." at once, as Postfix does.
#
#   dos_flood.sh BIN
#
# Attack: 250 sockets from 127.0.0.2 (not in the test's mynetworks
# 127.0.0.1/32, so not an exception), each sending "EHLO x" and then
# silence. Then a client from 127.0.0.3 must get its 220 greeting within
# one second and deliver a message. The instance runs as root with the
# default master.cf smtpd maxproc ("-": default_process_limit, 100).
# Before the fix the over-limit connections queued for a worker like
# everyone else and the new client waited behind them.
set -u
BIN=$1
. "$(dirname "$0")/lib.sh"

sec_setup
mta_start
out=$($PY - "$PORT" <<'PY'
import socket, smtplib, sys, time

port = int(sys.argv[1])
N, LIMIT = 250, 50
flood = []
t0 = time.time()
for i in range(N):
    s = socket.socket()
    s.bind(("127.0.0.2", 0))
    s.settimeout(5)
    s.connect(("127.0.0.1", port))
    s.sendall(b"EHLO x\r\n")  # one line, then silence
    flood.append(s)
t_flood = time.time() - t0

# what each flood connection got within a bounded time
got = [b""] * N
closed = [False] * N
deadline = time.time() + 5
for s in flood:
    s.setblocking(False)
while time.time() < deadline:
    pending = 0
    for i, s in enumerate(flood):
        if closed[i]:
            continue
        try:
            d = s.recv(4096)
            if d:
                got[i] += d
            else:
                closed[i] = True
        except BlockingIOError:
            pass
        except OSError:
            closed[i] = True
        if not closed[i] and not got[i].startswith(b"220"):
            pending += 1
    if pending == 0:
        break
    time.sleep(0.05)
t_answers = time.time() - t0 - t_flood
refused = [i for i in range(N)
           if got[i].startswith(b"421 4.7.0 mx.example.test Error: too many "
                                b"connections from 127.0.0.2\r\n")]
greeted = [i for i in range(N) if got[i].startswith(b"220 ")]
refused_closed = sum(1 for i in refused if closed[i])
print("flood: %d connections in %.2f s; within %.2f s %d refused (%d closed "
      "by the server), %d greeted, %d without an answer" %
      (N, t_flood, t_answers, len(refused), refused_closed, len(greeted),
       N - len(refused) - len(greeted)))
bad = []
if len(refused) != N - LIMIT or refused_closed != len(refused):
    bad.append("expected %d connections refused with 421 and closed" % (N - LIMIT))
if len(greeted) != LIMIT:
    bad.append("expected %d connections greeted" % LIMIT)
if t_answers > 2.0:
    bad.append("the flood's connections waited %.2f s for an answer" % t_answers)

# a legitimate client from another address, while the flood holds
t1 = time.time()
c = smtplib.SMTP(timeout=10, source_address=("127.0.0.3", 0),
                 local_hostname="good.example.org")
code, banner = c.connect("127.0.0.1", port)
t_greet = time.time() - t1
c.sendmail("good@example.org", ["alice@local.test"],
           "Subject: through the flood\r\n\r\nhello\r\n")
c.quit()
t_mail = time.time() - t1
print("legitimate client: greeting %d after %.3f s, message accepted after "
      "%.3f s" % (code, t_greet, t_mail))
if code != 220 or t_greet > 1.0:
    bad.append("the legitimate client waited %.3f s for its greeting" % t_greet)
if t_mail > 5.0:
    bad.append("the legitimate client's message took %.3f s" % t_mail)
for s in flood:
    s.close()
if bad:
    print("FAIL: " + "; ".join(bad))
    sys.exit(1)
PY
) ; rc=$?
echo "$out"
[ $rc = 0 ] || fail "flood from one address starved other clients"
wait_log 'to=<alice@local\.test>, .*status=sent' 1 20
grep -qE 'postfix/smtpd\[[0-9]+\]: warning: Connection concurrency limit exceeded: 51 from unknown\[127\.0\.0\.2\] for service 127\.0\.0\.1:'"$PORT"'$' "$T/maillog" ||
    { tail -n 20 "$T/maillog" >&2; fail "no concurrency warning for 127.0.0.2 in the maillog"; }
n=$(count_log 'warning: Connection concurrency limit exceeded: [0-9]+ from unknown\[127\.0\.0\.2\]')
[ "$n" = 200 ] || fail "expected 200 concurrency warnings, saw $n"
pass "250 connections from one address: 200 refused at once with 421, another client served at once"
