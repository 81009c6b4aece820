#!/usr/bin/env bash
# mta_procs.sh - master forks another process when every process of a
# service is busy (processes report "busy" to master only when no sibling
# is idle, see server_status), and not while one is idle.
#
#   mta_procs.sh BIN
#
# Seven clients hold smtpd workers (EHLO, then silence); an eighth must
# still be served at once, which needs master to fork. Loopback only.
set -u
BIN=$1
. "$(dirname "$0")/mta_lib.sh"

mta_setup
# two sessions per worker (default 16), so that seven held sessions fill
# four workers and the eighth client needs master to fork one more
export POSTERN_SMTPD_SESSIONS=2
mta_start
$PY - "$PORT" <<'PY' || fail "client"
import smtplib, socket, sys, time
port = int(sys.argv[1])
held = []
t_held = time.time()
for i in range(7):
    s = socket.create_connection(("127.0.0.1", port), 5)
    s.recv(512)                      # greeting (from the front)
    s.sendall(b"EHLO held%d.example.org\r\n" % i)
    buf = b""
    while not buf.endswith(b"250 CHUNKING\r\n"):
        chunk = s.recv(4096)         # answered by a worker, which now waits
        if not chunk:
            sys.exit("held session %d closed" % i)
        buf += chunk
    held.append(s)
t_held = time.time() - t_held
t0 = time.time()
with smtplib.SMTP("127.0.0.1", port, local_hostname="new.example.org", timeout=5) as c:
    c.sendmail("a@example.org", ["alice@local.test"], "Subject: eighth\r\n\r\nx\r\n")
took = time.time() - t0
print("7 sessions took workers in %.3f s; the eighth client was served in "
      "%.3f s while they hold them" % (t_held, took))
# master wakes at least once a second anyway: a missed "all busy" would
# show as about a second per session
if took > 0.5 or t_held > 2:
    sys.exit("too slow: master did not fork at once for waiting clients")
for s in held:
    s.close()
PY
wait_log 'to=<alice@local\.test>, .*status=sent'
n=$(grep -oE 'postfix/smtpd\[[0-9]+\]: connect from' "$T/maillog" | sort -u | wc -l)
[ "$n" -ge 4 ] || fail "4 smtpd workers (2 sessions each) served the 8 sessions (saw $n)"
most=$(grep -oE 'postfix/smtpd\[[0-9]+\]: connect from' "$T/maillog" | sort | uniq -c | sort -rn | awk 'NR == 1 { print $1 }')
[ "$most" -le 2 ] || fail "a worker served $most sessions at once (limit 2)"
pass "all workers full: master forked for the waiting client ($n worker processes, at most $most sessions each)"
