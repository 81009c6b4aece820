#!/usr/bin/env bash
# dos_limits.sh - the per-client limits hold across the smtpd fronts of a
# reload, are released when sessions end, and the connection rate limit
# works as Postfix's: a client over smtpd_client_connection_rate_limit
# per anvil_rate_time_unit gets "421 4.7.0 ... too many connections from
# ..." at once, other clients and smtpd_client_event_limit_exceptions
# ($mynetworks) are not limited.
#
#   dos_limits.sh BIN
#
# Attack 1: a client holds its 5 allowed connections (count limit 5)
# idle in the front, the admin reloads, and the client opens more through
# the new front. Before the fix each front counted only its own clients,
# so the new front let the client start again from zero.
# Attack 2: 25 connections in a row from one address with a rate limit
# of 20 per minute. Before the fix the rate limit was not implemented.
set -u
BIN=$1
. "$(dirname "$0")/lib.sh"

sec_setup "smtpd_client_connection_count_limit = 5" \
    "smtpd_client_connection_rate_limit = 20"
mta_start
$PY - "$PORT" "$T" "$BIN" <<'PY' || fail "client limits"
import socket, subprocess, sys, time

port, T, BIN = int(sys.argv[1]), sys.argv[2], sys.argv[3]
REFUSED = b"421 4.7.0 mx.example.test Error: too many connections from "

def conn(src):
    s = socket.socket()
    s.bind((src, 0))
    s.settimeout(5)
    s.connect(("127.0.0.1", port))
    return s

def first_reply(s):
    t0 = time.time()
    d = b""
    while not d.endswith(b"\r\n"):
        c = s.recv(512)
        if not c:
            break
        d += c
    return d, time.time() - t0

def log_count(pat):
    with open(T + "/maillog", errors="replace") as f:
        return sum(pat in line for line in f)

def wait_log(pat, n, secs=10):
    for _ in range(secs * 20):
        if log_count(pat) >= n:
            return
        time.sleep(0.05)
    sys.exit("timeout waiting for %d x %r in the maillog" % (n, pat))

# 1. five connections held idle in the front, then a reload
held = []
for i in range(5):
    s = conn("127.0.0.4")
    d, _ = first_reply(s)
    if not d.startswith(b"220 "):
        sys.exit("held connection %d: %r" % (i, d))
    held.append(s)
s = conn("127.0.0.4")
d, t = first_reply(s)
if not d.startswith(REFUSED + b"127.0.0.4") or t > 1:
    sys.exit("sixth connection before the reload: %r after %.2f s" % (d, t))
s.close()
subprocess.run([BIN, "reload", "-c", T + "/etc"], check=True,
               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
wait_log("reload -- version", 1)
time.sleep(0.5)  # the new front has started
s = conn("127.0.0.4")
d, t = first_reply(s)
if not d.startswith(REFUSED + b"127.0.0.4") or t > 1:
    sys.exit("sixth connection through the new front: %r after %.2f s "
             "(the old front's clients were not counted)" % (d, t))
s.close()
print("count limit 5 holds across the reload: the new front refused the "
      "sixth connection at once")
wait_log("Connection concurrency limit exceeded: 6 from unknown[127.0.0.4]", 2)

# the held sessions end: their counts are released, whichever front held them
for s in held:
    s.close()
wait_log("lost connection after CONNECT from unknown[127.0.0.4]", 5)
again = [conn("127.0.0.4") for i in range(5)]
for i, s in enumerate(again):
    d, _ = first_reply(s)
    if not d.startswith(b"220 "):
        sys.exit("connection %d after the others ended: %r" % (i, d))
for s in again:
    s.sendall(b"QUIT\r\n")
    s.close()
print("the counts were released when the sessions ended")

# 2. rate limit 20 per anvil_rate_time_unit (60 s)
got = []
for i in range(25):
    s = conn("127.0.0.5")
    d, t = first_reply(s)
    got.append((d, t))
    if d.startswith(b"220 "):
        s.sendall(b"QUIT\r\n")
        first_reply(s)
    s.close()
ok = sum(d.startswith(b"220 ") for d, _ in got)
refused = [t for d, t in got if d.startswith(REFUSED + b"127.0.0.5\r\n")]
if ok != 20 or len(refused) != 5 or max(refused) > 1:
    sys.exit("rate limit 20: %d greeted, %d refused (%r)" % (ok, len(refused), got))
print("rate limit 20/60s: 20 connections served, 5 refused at once")
wait_log("Connection rate limit exceeded: 21 from unknown[127.0.0.5]", 1)

# another client is not affected, and $mynetworks is an exception
for src, n in (("127.0.0.3", 1), ("127.0.0.1", 25)):
    for i in range(n):
        s = conn(src)
        d, t = first_reply(s)
        if not d.startswith(b"220 ") or t > 1:
            sys.exit("%s connection %d: %r after %.2f s" % (src, i, d, t))
        s.sendall(b"QUIT\r\n")
        first_reply(s)
        s.close()
print("127.0.0.3 served at once; 127.0.0.1 ($mynetworks) made 25 "
      "connections unlimited")
PY
grep -qE 'postfix/smtpd\[[0-9]+\]: warning: Connection rate limit exceeded: 21 from unknown\[127\.0\.0\.5\] for service 127\.0\.0\.1:'"$PORT"'$' "$T/maillog" ||
    fail "rate warning in the maillog"
[ "$(count_log 'limit exceeded: [0-9]+ from unknown\[127\.0\.0\.[13]\]')" = 0 ] ||
    fail "a client in mynetworks or under the limits was limited"
pass "limits across a reload, released at session end, rate limit as Postfix's"
