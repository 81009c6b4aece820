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
if [ -z "${POSTERN_CHROOT_NETNS:-}" ]; then
    [ "$(id -u)" = 0 ] || { echo "skip: needs root (a root instance on port 25)"; exit 77; }
    command -v ip >/dev/null || { echo "skip: ip (iproute2) not installed"; exit 77; }
    unshare --net --mount true 2>/dev/null ||
        { echo "skip: cannot make a network namespace (unshare --net)"; exit 77; }
    POSTERN_CHROOT_NETNS=1 exec unshare --net --mount --propagation private \
        bash "$0" "$@"
fi
ip link set lo up || { echo "FAIL: ip link set lo up" >&2; exit 1; }
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
grep -E 'postfix/[a-z]+\[[0-9]+\]: (fatal|panic|error):' "$T/maillog" && fail "errors in the maillog"
mta_stop
pass "stopped"
