#!/bin/bash
# submit_cleanup - a local user injects mail through public/cleanup with
# a forged client, HELO and origin (finding 6).
#
# Before: public/ was 0755 and public/cleanup 0666, and cleanup took
# every client attribute from whoever connected: any local user queued
# mail "from" any client, with no trace of the uid. Now public/ is 0710
# mail_owner:setgid_group (connect fails with EACCES), and a peer that
# reaches the socket anyway (a set-gid program gone wrong: here the
# attacker runs with the setgid_group) is a local submission: its client
# attributes are dropped, its uid is logged and put in Received:.
BIN=$1
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/submit_lib.inc"

sec_setup
sec_user mallory
mta_start
MALLORY=$(sec_name mallory)

# the injector: cleanup's protocol, as smtpd speaks it, with a forged
# client; prints "refused: ERRNO" or "status N"
cat > "$T/inject.py" <<'PY'
import socket, sys
def s(x):
    b = x.encode() + b"\0"
    return b"S" + len(b).to_bytes(4, "big") + b
def u32(v): return b"I" + v.to_bytes(4, "big")
def u64(v): return b"L" + v.to_bytes(8, "big")
def frame(t, body): return (len(body) + 1).to_bytes(4, "big") + t.encode() + body
def reply(c):
    h = b""
    while len(h) < 4:
        h += c.recv(4 - len(h))
    n = int.from_bytes(h, "big"); b = b""
    while len(b) < n:
        b += c.recv(n - len(b))
    return b
c = socket.socket(socket.AF_UNIX)
try:
    c.connect(sys.argv[1])
except OSError as e:
    print("refused: %s" % e.strerror); sys.exit(0)
c.sendall(frame("O", u32(0)))
reply(c)
rcpts = sys.argv[2:]
env = (u32(0) + u32(0) + u64(1) + s("ceo@example.com") +
       s("trusted-relay.example.com") + s("192.0.2.77") + s("forged-helo.example.com") +
       s("ESMTP") + s("") + s("forged-origin") + s("") + u32(len(rcpts)))
for r in rcpts:
    env += s(r) + s("") + s("") + u32(0)
data = b"Subject: injected\n\nwire transfer now\n"
c.sendall(frame("E", env) + frame("D", b"B" + len(data).to_bytes(4, "big") + data) + frame("Z", b""))
r = reply(c)
print("status %d" % int.from_bytes(r[2:6], "big"))
PY
chmod 644 "$T/inject.py"

# 1. as mallory: public/ is closed
out=$(as mallory $PY "$T/inject.py" "$T/queue/public/cleanup" alice@local.test)
echo "$out"
[ "$out" = "refused: Permission denied" ] || fail "mallory reached public/cleanup: $out"
pass "mallory cannot reach public/cleanup (EACCES)"

# the queue directory layout, as Postfix's
[ "$(stat -c '%a %U %G' "$T/queue/public")" = "710 $OWNER $SGID_GROUP" ] ||
    fail "public/ is $(stat -c '%a %U %G' "$T/queue/public")"
[ "$(stat -c '%a %U %G' "$T/queue/maildrop")" = "1730 $OWNER $SGID_GROUP" ] ||
    fail "maildrop/ is $(stat -c '%a %U %G' "$T/queue/maildrop")"
pass "public/ 0710 and maildrop/ 1730, mail_owner:setgid_group"


# 2. a peer that does reach it (mallory with the setgid_group) is not
# trusted: it is a local submission by uid N, its client attributes gone
out=$(setpriv --reuid="$MALLORY" --regid="$SGID_GROUP" --clear-groups \
      $PY "$T/inject.py" "$T/queue/public/cleanup" alice@local.test victim@remote.example)
echo "$out"
[ "$out" = "status 0" ] || fail "injection through the socket: $out"
wait_log "cleanup\[[0-9]+\]: [0-9A-F]+: uid=$SEC_UID_mallory from=<ceo@example.com>" 1
wait_log 'to=<alice@local\.test>, relay=local, .*status=sent' 1
wait_log 'to=<victim@remote\.example>, .*status=deferred' 1
m=$(grep -l 'wire transfer now' "$T"/mail/alice/new/* | head -1)
[ -n "$m" ] || fail "message not delivered"
head -3 "$m"
grep -qE "^Received: by mx\.example\.test \(Postern, from userid $SEC_UID_mallory\)$" "$m" ||
    fail "no Received: ... (Postern, from userid $SEC_UID_mallory)"
# the deferred copy is in the store: none of the forged attributes are
for f in trusted-relay.example.com 192.0.2.77 forged-helo.example.com forged-origin; do
    if grep -rqa -- "$f" "$T/queue/store"; then fail "queue file keeps forged \"$f\""; fi
done
grep -rqa -- "uid=$SEC_UID_mallory" "$T/queue/store" || fail "queue file has no uid=N origin"
pass "an untrusted peer's client, HELO and origin are dropped; uid logged and in Received:"
