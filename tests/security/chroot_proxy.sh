#!/bin/bash
# tests/security/chroot_proxy.sh - finding 13 of issue 15: a proxy: file
# table of a chrooted smtpd is searched by proxymap outside the jail, and
# a change to its file is seen without a reload (proxymap logs "table ...
# has changed -- restarting", as Postfix's does, and the client asks a
# fresh one). Debian's master.cf as root, in private network and mount
# namespaces (it binds port 25), with
#   local_recipient_maps = proxy:unix:passwd.byname proxy:hash:ALIASES
# and proxy_read_maps listing both.
set -u
BIN=$1
. "$(dirname "$0")/netns.inc"
. "$(dirname "$0")/lib.sh"

sec_setup
cp "$HERE/../testdata/security/master.cf.dist" "$T/etc/master.cf"
printf 'postmaster: root\n' > "$T/etc/aliases"
cat > "$T/etc/main.cf" <<CF
compatibility_level = 3.6
myhostname = mx.example.test
mydestination = \$myhostname, localhost
alias_maps = hash:$T/etc/aliases
local_recipient_maps = proxy:unix:passwd.byname proxy:hash:$T/etc/aliases
mynetworks = 127.0.0.0/8
inet_interfaces = loopback-only
inet_protocols = ipv4
queue_directory = $T/queue
maillog_file = $T/maillog
mail_owner = $OWNER
setgid_group = $SGID_GROUP
default_privs = nobody
service_throttle_time = 1s
CF
mta_start

# rcpt ADDR...: the RCPT replies, one line each, in one session
rcpt() {
    $PY - "$@" <<'PY'
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", 25, timeout=20)
s.ehlo("client.example.test")
s.mail("sender@example.test")
for a in sys.argv[1:]:
    code, text = s.rcpt(a)
    print(a, code, text.decode())
s.quit()
PY
}

rcpt postmaster@mx.example.test root@mx.example.test newname@mx.example.test > "$T/r1" ||
    { cat "$T/r1"; fail "SMTP session"; }
cat "$T/r1"
grep -q '^postmaster@mx.example.test 250 ' "$T/r1" || fail "alias (proxy:hash) not found"
grep -q '^root@mx.example.test 250 ' "$T/r1" || fail "root (proxy:unix:passwd.byname) not found"
grep -q '^newname@mx.example.test 550 5.1.1 <newname@mx.example.test>: Recipient address rejected: User unknown in local recipient table$' "$T/r1" ||
    fail "an unknown name was not refused"
pass "chrooted smtpd: aliases and passwd through proxymap, unknown names refused"

sleep 1.1 # a new mtime even on coarse clocks
printf 'postmaster: root\nnewname: root\n' > "$T/etc/aliases"
ok=
for _ in $(seq 20); do
    rcpt newname@mx.example.test > "$T/r2" 2>&1
    grep -q '^newname@mx.example.test 250 ' "$T/r2" && { ok=1; break; }
    sleep 0.5
done
[ -n "$ok" ] || { cat "$T/r2"; fail "the changed alias file was not seen"; }
grep -qE "postfix/proxymap\[[0-9]+\]: table hash:$T/etc/aliases has changed -- restarting$" "$T/maillog" ||
    fail "proxymap did not log the changed table"
pass "a changed proxy: table file: proxymap restarts, the new alias is found without a reload"
# A hostile client of proxymap (a jailed daemon taken over: it runs as
# mail_owner and reaches private/proxymap): it asks for a file that
# proxy_read_maps does not list, sends malformed and oversized requests.
# proxymap refuses each, logs the unapproved table, and keeps serving.
as owner $PY - "$T/queue/private/proxymap" > "$T/hostile.out" 2>&1 <<'PY' ||
import socket, struct, sys
path = sys.argv[1]

def s_(v):
    b = v.encode()
    return b"S" + struct.pack(">I", len(b) + 1) + b + b"\0"

def i_(v):
    return b"I" + struct.pack(">I", v)

def frame(t, body):
    return struct.pack(">I", len(body) + 1) + bytes([t]) + body

def ask(c, data):
    c.sendall(data)
    n = struct.unpack(">I", c.recv(4, socket.MSG_WAITALL))[0]
    r = c.recv(n, socket.MSG_WAITALL)
    assert r[0] == ord("R") and r[1] == ord("I"), r
    return struct.unpack(">I", r[2:6])[0], r[6:]

c = socket.socket(socket.AF_UNIX); c.connect(path)
st, v = ask(c, frame(ord("L"), s_("texthash:/etc/shadow") + i_(0) + s_("root")))
assert st == 4, ("unapproved table", st, v)
st, v = ask(c, frame(ord("L"), s_("proxy:proxy:texthash:/etc/shadow") + i_(0) + s_("root")))
assert st == 4, ("unapproved table behind proxy:", st, v)
st, v = ask(c, frame(ord("Z"), s_("unix:passwd.byname")))
assert st == 3, ("unknown request", st)
st, v = ask(c, frame(ord("L"), s_("unix:passwd.byname") + i_(0)))
assert st == 3, ("missing key", st)
st, v = ask(c, frame(ord("L"), s_("unix:passwd.byname") + i_(0) + s_("root") + s_("x")))
assert st == 3, ("extra field", st)
st, v = ask(c, frame(ord("L"), s_("unix:passwd.byname") + i_(0) + s_("root")))
assert st == 0 and v.startswith(b"S") and b"root:" in v, ("approved table", st, v)
# an oversized request: proxymap hangs up on this client only
c.sendall(struct.pack(">I", 50 << 20) + b"L")
assert c.recv(1) == b"", "oversized request not refused"
c2 = socket.socket(socket.AF_UNIX); c2.connect(path)
st, v = ask(c2, frame(ord("L"), s_("unix:passwd.byname") + i_(0) + s_("root")))
assert st == 0, ("served after a hostile client", st)
print("hostile client refused")
PY
    { cat "$T/hostile.out"; fail "proxymap and a hostile client"; }
grep -qE 'postfix/proxymap\[[0-9]+\]: warning: request for unapproved table: "texthash:/etc/shadow"$' "$T/maillog" ||
    fail "proxymap did not log the unapproved table"
pass "proxymap refuses unlisted tables (texthash:/etc/shadow), malformed and oversized requests, and goes on serving"

grep -E 'postfix/[a-z]+\[[0-9]+\]: (fatal|panic|error):' "$T/maillog" && fail "errors in the maillog"
mta_stop
pass "stopped"
