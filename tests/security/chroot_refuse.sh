#!/bin/bash
# tests/security/chroot_refuse.sh - finding 13 of issue 15, the other
# side: a table that cannot work inside the chroot jail must stop the
# chrooted daemon at its start, with a fatal line naming the service, the
# parameter and the table; the client must never be told "User unknown"
# because of the jail. Debian's master.cf (smtpd chrooted) as root, with
#   1. local_recipient_maps = unix:passwd.byname $alias_maps (no proxy:):
#      NSS cannot read /etc/passwd in the jail (before the fix: every
#      local user got "550 5.1.1 User unknown in local recipient table");
#   2. Postfix's default proxy:unix:passwd.byname, but proxy_read_maps
#      without it: proxymap refuses the table, as Postfix's does.
# Runs in private network and mount namespaces (master.cf binds port 25).
set -u
BIN=$1
. "$(dirname "$0")/netns.inc"
. "$(dirname "$0")/lib.sh"

sec_setup
sec_user rcpt "$T/home/rcpt"
RCPT=$(sec_name rcpt)
mkdir -p "$T/home/rcpt" "$T/spool"
chown "$RCPT:$RCPT" "$T/home/rcpt"
chmod 1777 "$T/spool"
cp "$HERE/../testdata/security/master.cf.dist" "$T/etc/master.cf"
printf 'postmaster: root\n' > "$T/etc/aliases"

# run CASE [main.cf lines]: start, send RCPT to the local user, stop
run() {
    local case=$1
    shift
    cat > "$T/etc/main.cf" <<CF
compatibility_level = 3.6
myhostname = mx.example.test
mydestination = \$myhostname, localhost
alias_maps = hash:$T/etc/aliases
mynetworks = 127.0.0.0/8
inet_interfaces = loopback-only
inet_protocols = ipv4
queue_directory = $T/queue
maillog_file = $T/maillog
mail_spool_directory = $T/spool
mail_owner = $OWNER
setgid_group = $SGID_GROUP
default_privs = nobody
service_throttle_time = 1s
CF
    printf '%s\n' "$@" >> "$T/etc/main.cf"
    : > "$T/maillog"
    "$BIN" start -c "$T/etc" 2> "$T/start.err" || {
        cat "$T/start.err" >&2; fail "$case: postern start"; }
    MASTER_PID=$(tr -d ' ' < "$T/queue/pid/master.pid")
    $PY - "$RCPT" > "$T/smtp.out" 2>&1 <<'PY'
import smtplib, sys
try:
    s = smtplib.SMTP("127.0.0.1", 25, timeout=10)
    s.ehlo("client.example.test")
    s.mail("sender@example.test")
    code, text = s.rcpt(sys.argv[1] + "@mx.example.test")
    print("rcpt:", code, text.decode())
except (smtplib.SMTPException, OSError) as e:
    print("session:", type(e).__name__, e)
PY
    "$BIN" stop -c "$T/etc" 2>/dev/null || fail "$case: stop"
    MASTER_PID=
    cat "$T/smtp.out"
    grep -q 'User unknown' "$T/smtp.out" &&
        fail "$case: the local user was told \"User unknown\" because of the jail"
    grep -q '^rcpt: 250' "$T/smtp.out" &&
        fail "$case: RCPT accepted with a table that cannot work"
}

run "unix: without proxy:" \
    "local_recipient_maps = unix:passwd.byname \$alias_maps"
grep -qE 'postfix/smtpd\[[0-9]+\]: fatal: service smtp/inet runs chrooted \(master\.cf\): local_recipient_maps: table unix:passwd\.byname cannot be searched inside the chroot jail .*use proxy:unix:passwd\.byname' "$T/maillog" || {
    grep -E 'fatal|warning' "$T/maillog" >&2; fail "no fatal line naming service, parameter and table"; }
pass "unix:passwd.byname in a chrooted smtpd: fatal at start, naming smtp/inet, local_recipient_maps and the table"

run "proxy: not approved" "proxy_read_maps = \$alias_maps"
grep -qE 'postfix/proxymap\[[0-9]+\]: warning: request for unapproved table: "unix:passwd\.byname"$' "$T/maillog" ||
    fail "proxymap did not log the unapproved table"
grep -qE 'postfix/smtpd\[[0-9]+\]: fatal: service smtp/inet runs chrooted \(master\.cf\): local_recipient_maps: the proxymap service refuses table unix:passwd\.byname: list proxy:unix:passwd\.byname in proxy_read_maps$' "$T/maillog" || {
    grep -E 'fatal|warning' "$T/maillog" >&2; fail "no fatal line for the refused table"; }
pass "proxy: table missing from proxy_read_maps: proxymap refuses it, smtpd stops at start"
