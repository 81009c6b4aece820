#!/usr/bin/env bash
# mta_idle.sh - many idle inbound SMTP connections (issue 6).
#
#   mta_idle.sh BIN idle [N]
#   mta_idle.sh BIN front
#   mta_idle.sh BIN postscreen
#   mta_idle.sh BIN nofile
#
# A Python client opens N (10000) connections to Postern's smtpd on
# loopback, reads every greeting and keeps them open. Then the memory of
# the whole Postern process tree (PSS summed from smaps_rollup, also
# RSS) must stay under 200 MB, and a new client must get through a full
# SMTP transaction (its 250 after DATA within 2 s) and the message must
# be delivered. The idle clients are then closed; every session must
# have exactly one "connect from" and one "disconnect from" line.
# The figures are printed for docs/BENCHMARKS.md.
#
# "front" checks the front's robustness: sessions wait in the front
# while every worker is busy and are served when one frees up; on reload
# the clients held stay served and new ones are accepted; killed, the
# front is restarted by master and mail flows again.
set -u
BIN=$1
CASE=${2:-idle}
N=${3:-10000}
. "$(dirname "$0")/mta_lib.sh"

if [ "$CASE" = nofile ]; then
    # a descriptor limit too low for the front is named in the maillog;
    # a low one is a warning with the number of clients it allows
    mta_setup
    ( ulimit -n 200 && mta_start ) || fail "start"
    MASTER_PID=$(tr -d ' ' < "$T/queue/pid/master.pid")
    wait_log 'postfix/smtpd\[[0-9]+\]: fatal: the open file limit \(RLIMIT_NOFILE\) is 200; service 127\.0\.0\.1:[0-9]+ needs at least 256' 1
    mta_stop
    : > "$T/maillog"
    ( ulimit -n 1000 && mta_start ) || fail "start"
    MASTER_PID=$(tr -d ' ' < "$T/queue/pid/master.pid")
    wait_log 'warning: the open file limit \(RLIMIT_NOFILE\) is 1000: service 127\.0\.0\.1:[0-9]+ holds at most 936 clients at a time' 1
    $PY - "$PORT" <<'PY' || fail "mail with a low limit"
import smtplib, sys
with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10) as c:
    c.sendmail("a@example.com", ["alice@local.test"], "Subject: low limit\r\n\r\nx\r\n")
PY
    pass "the front names a too low open file limit and works with a low one"
    mta_stop
    exit 0
fi

if [ "$CASE" = postscreen ]; then
    # Postfix's postscreen layout: the front listens on postscreen's
    # address, the "smtpd pass" entry serves the sessions
    mta_setup
    sed -i "s/^127.0.0.1:$PORT inet n - n - - smtpd.*/127.0.0.1:$PORT inet n - n - 1 postscreen\nsmtpd pass - - n - - smtpd -o { smtpd_banner = \$myhostname ESMTP via-pass }/" "$T/etc/master.cf"
    mta_start
    wait_log "127.0.0.1:$PORT/inet \(postscreen\): clients are screened by postscreen and served by smtpd/pass" 1
    $PY - "$PORT" <<'PY' || fail "postscreen layout"
import smtplib, sys
with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10) as c:
    code, msg = c.docmd("NOOP")
    c.sendmail("a@example.com", ["alice@local.test"], "Subject: via pass\r\n\r\nx\r\n")
PY
    $PY - "$PORT" <<'PY' || fail "banner of the pass entry"
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
g = s.recv(512)
assert g == b"220 mx.example.test ESMTP via-pass\r\n", g
PY
    wait_log 'status=sent \(delivered to maildir\)' 1
    pass "postscreen + smtpd pass: a client in mynetworks (postscreen_access_list default) goes to smtpd at once, greeted with the pass entry's banner; mail is delivered"
    mta_stop
    exit 0
fi

if [ "$CASE" = front ]; then
    command -v ss >/dev/null || { echo "SKIP: ss (iproute2) is needed"; exit 77; }
    mta_setup
    # two workers at most
    sed -i "s/^127.0.0.1:$PORT inet n - n - - smtpd/127.0.0.1:$PORT inet n - n - 2 smtpd/" "$T/etc/master.cf"
    mta_start
    front_pid() { # the smtpd process that holds the listening socket
        ss -Hltnp "sport = :$PORT" | grep -o '"smtpd",pid=[0-9]*' | head -1 | sed 's/.*pid=//'
    }
    $PY - "$PORT" <<'PY' || fail "busy workers"
import smtplib, socket, sys, time
port = int(sys.argv[1])
def fail(m):
    print("FAIL: " + m, file=sys.stderr); sys.exit(1)
a = smtplib.SMTP("127.0.0.1", port, timeout=10); a.ehlo("a.example.com")
b = smtplib.SMTP("127.0.0.1", port, timeout=10); b.ehlo("b.example.com")
# both workers are busy: c is greeted by the front, its EHLO waits
c = socket.create_connection(("127.0.0.1", port), timeout=10)
g = c.recv(512)
if not g.startswith(b"220 mx.example.test ESMTP"):
    fail("greeting while the workers are busy: %r" % g)
c.sendall(b"EHLO c.example.com\r\nNOOP\r\n")
c.settimeout(1.0)
try:
    r = c.recv(512)
    fail("EHLO answered while both workers were busy: %r" % r)
except socket.timeout:
    pass
a.quit()
c.settimeout(10)
r = b""
t = time.monotonic()
while b"250 2.0.0 Ok" not in r:
    d = c.recv(4096)
    if not d:
        fail("closed: %r" % r)
    r += d
if not r.startswith(b"250-mx.example.test"):
    fail("reply %r" % r)
print("ok: a waiting session was served %.0f ms after a worker freed up, "
      "pipelined input kept" % ((time.monotonic() - t) * 1000))
c.sendall(b"QUIT\r\n"); c.close(); b.quit()
PY
    pass "sessions wait in the front while all workers are busy"

    old=$(front_pid)
    [ -n "$old" ] || fail "no front process"
    # idle clients held across a reload
    $PY - "$PORT" "$T/etc" "$BIN" <<'PY' || fail "reload"
import os, smtplib, socket, subprocess, sys, time
port = int(sys.argv[1])
def fail(m):
    print("FAIL: " + m, file=sys.stderr); sys.exit(1)
held = []
for i in range(5):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    if not s.recv(512).startswith(b"220 "):
        fail("greeting")
    held.append(s)
as_user = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"] if os.getuid() == 0 else []
subprocess.run(as_user + [sys.argv[3], "reload", "-c", sys.argv[2]], check=True,
               stderr=subprocess.DEVNULL)
time.sleep(0.5)
with smtplib.SMTP("127.0.0.1", port, timeout=10) as c:
    c.sendmail("a@example.com", ["alice@local.test"], "Subject: after reload\r\n\r\nx\r\n")
for s in held:
    s.sendall(b"EHLO held.example.com\r\nQUIT\r\n")
    r = b""
    while b"221 " not in r:
        d = s.recv(4096)
        if not d:
            fail("held client closed: %r" % r)
        r += d
    s.close()
print("ok: 5 clients held across the reload were served; a new one too")
PY
    pass "reload keeps the idle clients and accepts new ones"
    for _ in $(seq 50); do
        new=$(front_pid)
        [ -n "$new" ] && [ "$new" != "$old" ] && ! kill -0 "$old" 2>/dev/null && break
        sleep 0.1
    done
    [ -n "$new" ] && [ "$new" != "$old" ] || fail "a new front after reload"
    kill -0 "$old" 2>/dev/null && fail "the old front ($old) exits once its clients are gone"
    pass "the old front exited when its clients were gone"

    # kill the front: master starts another one
    sleep 2.1 # past the "bad command startup" window
    kill -KILL "$new"
    wait_log "process smtpd pid $new killed by signal 9" 1
    $PY - "$PORT" <<'PY' || fail "after front crash"
import smtplib, sys, time
port = int(sys.argv[1])
for i in range(50):
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as c:
            c.sendmail("a@example.com", ["alice@local.test"], "Subject: after crash\r\n\r\nx\r\n")
        break
    except (OSError, smtplib.SMTPException):
        time.sleep(0.1)
else:
    sys.exit(1)
PY
    [ -n "$(front_pid)" ] && [ "$(front_pid)" != "$new" ] || fail "front restarted"
    pass "a killed front is restarted and mail flows"
    for _ in $(seq 100); do
        [ "$(grep -ls 'Subject: after \(reload\|crash\)' "$T"/mail/alice/new/* 2>/dev/null | wc -l)" -ge 2 ] && break
        sleep 0.1
    done
    [ "$(grep -ls 'Subject: after \(reload\|crash\)' "$T"/mail/alice/new/* 2>/dev/null | wc -l)" -ge 2 ] \
        || fail "both messages delivered"
    c=$(count_log 'postfix/smtpd\[[0-9]+\]: connect from ')
    d=$(count_log 'postfix/smtpd\[[0-9]+\]: disconnect from ')
    [ "$c" = 10 ] && [ "$d" = 10 ] || fail "$c connect and $d disconnect lines for 10 sessions"
    pass "one connect from and disconnect from line per session"
    mta_stop
    exit 0
fi

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
for _ in $(seq 300); do
    ls "$T/mail/alice/new/"* >/dev/null 2>&1 && break
    sleep 0.1
done
grep -qs 'Subject: while 10000 wait' "$T"/mail/alice/new/* || fail "message delivered"
pass "message delivered while the idle clients were open"

# every session logged once, by the smtpd that served it
total=$((N + 1))
wait_log 'postfix/smtpd\[[0-9]+\]: disconnect from ' "$total" 60
c=$(count_log 'postfix/smtpd\[[0-9]+\]: connect from ')
[ "$c" = "$total" ] || fail "$c connect from lines for $total sessions"
l=$(count_log 'lost connection after CONNECT from unknown\[127\.0\.0\.[2-9]\]')
[ "$l" = "$N" ] || fail "$l lost connection after CONNECT lines for $N clients"
pass "one connect from and one disconnect from line per session ($total)"
mta_stop
