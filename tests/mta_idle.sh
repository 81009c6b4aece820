#!/usr/bin/env bash
# mta_idle.sh - many idle inbound SMTP connections (issue 6).
#
#   mta_idle.sh BIN [N]
#
# A Python client opens N (10000) connections to Postern's smtpd on
# loopback, reads every greeting and keeps them open. Then the memory of
# the whole Postern process tree (PSS summed from smaps_rollup, also
# RSS) must stay under 200 MB, and a new client must get through a full
# SMTP transaction (its 250 after DATA within 2 s) and the message must
# be delivered. The idle clients are then closed; every session must
# have exactly one "connect from" and one "disconnect from" line.
# The figures are printed for docs/BENCHMARKS.md.
set -u
BIN=$1
N=${2:-10000}
. "$(dirname "$0")/mta_lib.sh"

need=$((N + 200))
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -lt "$need" ]; then
    if [ "$(id -u)" = 0 ]; then
        ulimit -Hn "$need" || { echo "SKIP: cannot raise the open file limit"; exit 77; }
    else
        echo "SKIP: hard open file limit $hard < $need"
        exit 77
    fi
fi
# A low soft limit, as on most systems: master must raise it itself.
ulimit -Sn 1024

mta_setup "smtpd_client_connection_count_limit = 0"
mta_start
MPID=$MASTER_PID

$PY - "$PORT" "$N" "$MPID" "$T/maildir-check" <<'PY' || fail "idle client"
import errno, os, resource, selectors, smtplib, socket, sys, time

port, n, mpid = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
want = n + 100 if hard == resource.RLIM_INFINITY else min(hard, n + 100)
resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))

def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)

# 1. open n connections, at most 500 handshakes in flight, from several
# source addresses so that ephemeral ports never run short
sel = selectors.DefaultSelector()
socks, pending, greeted = [], {}, 0
t0 = time.monotonic()
i = 0
while greeted < n:
    while i < n and len(pending) < 500:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        s.bind(("127.0.0.%d" % (2 + i % 8), 0))
        try:
            s.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        pending[s.fileno()] = [s, b""]
        sel.register(s, selectors.EVENT_READ)
        socks.append(s)
        i += 1
    if time.monotonic() - t0 > 30:
        fail("only %d of %d clients greeted after 30 s" % (greeted, n))
    for key, _ in sel.select(timeout=1):
        st = pending[key.fd]
        try:
            data = st[0].recv(512)
        except (BlockingIOError, InterruptedError):
            continue
        except OSError as e:
            fail("connection %d: %s" % (key.fd, e))
        if not data:
            fail("connection closed before the greeting")
        st[1] += data
        if b"\r\n" in st[1]:
            if not st[1].startswith(b"220 mx.example.test ESMTP"):
                fail("greeting %r" % st[1])
            sel.unregister(st[0])
            del pending[key.fd]
            greeted += 1
t_open = time.monotonic() - t0

# 2. a new client, while the n others are open
t1 = time.monotonic()
with smtplib.SMTP("127.0.0.1", port, timeout=10) as c:
    c.ehlo("new.example.com")
    c.mail("sender@example.com")
    code, _ = c.rcpt("alice@local.test")
    if code != 250:
        fail("RCPT %d" % code)
    code, msg = c.data(b"Subject: while 10000 wait\r\n\r\nhello\r\n")
    t_txn = time.monotonic() - t1
    if code != 250:
        fail("DATA %d %r" % (code, msg))

# 3. memory of master and all its descendants (after the transaction,
# so that cleanup, local and an smtpd worker are counted too)
def tree(root):
    kids = {}
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % p) as f:
                st = f.read()
        except OSError:
            continue
        ppid = int(st[st.rindex(")") + 2:].split()[1])
        kids.setdefault(ppid, []).append(int(p))
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out

pss = rss = 0
procs = tree(mpid)
for p in procs:
    try:
        with open("/proc/%d/smaps_rollup" % p) as f:
            for line in f:
                k, v = line.split(":", 1)
                if k == "Pss":
                    pss += int(v.split()[0])
                elif k == "Rss":
                    rss += int(v.split()[0])
    except OSError as e:
        fail("smaps_rollup of %d: %s" % (p, e))

# 4. the idle clients are all still connected (no data, no EOF)
alive = 0
for s in socks:
    try:
        if s.recv(1) == b"":
            continue
    except BlockingIOError:
        alive += 1
    except OSError:
        pass
if alive != n:
    fail("%d of %d idle clients still connected" % (alive, n))

print("idle: %d connections greeted in %.2f s" % (n, t_open))
print("idle: Postern process tree (%d processes): PSS %.1f MB, RSS %.1f MB"
      % (len(procs), pss / 1024, rss / 1024))
try:
    with open("/proc/net/sockstat") as f:
        for line in f:
            if line.startswith("TCP:"):
                w = line.split()
                pages = int(w[w.index("mem") + 1])
                print("idle: kernel TCP buffers, system-wide, both ends: "
                      "%.1f MB (not in PSS)" % (pages * 4096 / 1048576))
except (OSError, ValueError):
    pass
print("idle: new client's transaction (connect to 250 after DATA) %.0f ms"
      % (t_txn * 1000))
if pss >= 200 * 1024:
    fail("PSS %.1f MB >= 200 MB" % (pss / 1024))
if t_txn >= 2:
    fail("transaction took %.2f s" % t_txn)
t2 = time.monotonic()
for s in socks:
    s.close()
print("idle: closed all in %.2f s" % (time.monotonic() - t2))
PY
pass "$N idle clients: memory and a new client's transaction within bounds"

# the message arrived
for _ in $(seq 100); do
    ls "$T/mail/alice/new/"* >/dev/null 2>&1 && break
    sleep 0.1
done
grep -qs 'Subject: while 10000 wait' "$T"/mail/alice/new/* || fail "message delivered"
pass "message delivered while the idle clients were open"

# every session logged once, by the smtpd that served it
total=$((N + 1))
wait_log 'postfix/smtpd\[[0-9]+\]: disconnect from ' "$total" 40
c=$(count_log 'postfix/smtpd\[[0-9]+\]: connect from ')
[ "$c" = "$total" ] || fail "$c connect from lines for $total sessions"
l=$(count_log 'lost connection after CONNECT from unknown\[127\.0\.0\.[2-9]\]')
[ "$l" = "$N" ] || fail "$l lost connection after CONNECT lines for $N clients"
pass "one connect from and one disconnect from line per session ($total)"
mta_stop
