#!/bin/bash
# tests/security/chroot_debian.sh - finding 13 of issue 15: Debian's
# default master.cf (testdata/security/master.cf.dist, a copy of Debian's
# /usr/share/postfix/master.cf.dist: smtpd, cleanup, pickup, bounce, smtp
# ... chrooted to the queue directory) run as root with a main.cf like
# Debian's must deliver to a real local user. Before the fix every local
# recipient got "550 User unknown in local recipient table": smtpd looked
# up unix:passwd.byname inside its jail, where /etc/passwd is not.
#
# Also checked, each from inside the jail: the mail to an unknown user
# still gets Postfix's 550 5.1.1; STARTTLS with a certificate outside the
# jail; the smtp client routes mail by MX through the resolver that
# /etc/resolv.conf names; the log timestamps of chrooted daemons are in
# the zone TZ names; the proxymap service runs as mail_owner, unchrooted.
#
# master.cf.dist binds port 25 on every address, so the whole test runs
# in a private network namespace (only its own loopback: nothing leaves
# the machine, parallel tests do not clash) and a private mount
# namespace, where $T/resolv.conf is bind-mounted on /etc/resolv.conf for
# this test's processes only.
set -u
BIN=$1
. "$(dirname "$0")/netns.inc"
. "$(dirname "$0")/lib.sh"
command -v unbound >/dev/null || { echo "skip: unbound not installed"; exit 77; }
command -v openssl >/dev/null || { echo "skip: openssl not installed"; exit 77; }
ZONE=Pacific/Kiritimati # UTC+14: its clock never reads like UTC's
[ -f "/usr/share/zoneinfo/$ZONE" ] || { echo "skip: tzdata not installed"; exit 77; }
unset POSTERN_DNS_RESOLVERS # the resolver is the one resolv.conf names

sec_setup
trap 'stop_pids; sec_cleanup' EXIT
sec_user rcpt "$T/home/rcpt"
RCPT=$(sec_name rcpt)
mkdir -p "$T/home/rcpt" "$T/spool" "$T/sink"
chown "$RCPT:$RCPT" "$T/home/rcpt"
chmod 1777 "$T/spool"
chmod 777 "$T/sink"
cp "$HERE/../testdata/security/master.cf.dist" "$T/etc/master.cf"
cmp -s "$T/etc/master.cf" "$HERE/../testdata/security/master.cf.dist" || fail "copy master.cf"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=mx.example.test \
    -keyout "$T/etc/key.pem" -out "$T/etc/cert.pem" >/dev/null 2>&1 || fail "openssl"
chmod 600 "$T/etc/key.pem"
printf 'postmaster: root\n' > "$T/etc/aliases"
# tables and lists in files outside the jail, as admins add them
printf 'example.test\nlocalhost.example.test\nlocalhost\n' > "$T/etc/local-domains"
# (svc.test: a port by name, which the jailed smtp client looks up in
# /etc/services)
printf 'svc.test smtp:[mx.remote.test]:smtp\n' > "$T/etc/transport"
# Debian's main.cf: main.cf.debian plus what the package's postinst
# writes (its "local only" choice: loopback-only, so that the sink of
# remote.test can have 127.0.0.2:25), with paths under $T and this
# test's accounts
cat > "$T/etc/main.cf" <<CF
smtpd_banner = \$myhostname ESMTP \$mail_name (Debian/GNU)
biff = no
append_dot_mydomain = no
readme_directory = no
compatibility_level = 3.6
smtpd_tls_cert_file = $T/etc/cert.pem
smtpd_tls_key_file = $T/etc/key.pem
smtpd_tls_security_level = may
smtp_tls_CApath = /etc/ssl/certs
smtp_tls_security_level = may
smtpd_relay_restrictions = permit_mynetworks permit_sasl_authenticated defer_unauth_destination
myhostname = mx.example.test
alias_maps = hash:$T/etc/aliases
alias_database = hash:$T/etc/aliases
myorigin = example.test
mydestination = \$myhostname, $T/etc/local-domains
transport_maps = hash:$T/etc/transport
relayhost =
mynetworks = 127.0.0.0/8 [::ffff:127.0.0.0]/104 [::1]/128
mailbox_size_limit = 0
recipient_delimiter = +
inet_interfaces = loopback-only
inet_protocols = ipv4
queue_directory = $T/queue
maillog_file = $T/maillog
mail_spool_directory = $T/spool
mail_owner = $OWNER
setgid_group = $SGID_GROUP
default_privs = nobody
service_throttle_time = 1s
# DNS restrictions from inside the jail (issue 16)
smtpd_sender_restrictions = reject_unknown_sender_domain
CF

# DNS: an unbound on this namespace's 127.0.0.1:53, named by resolv.conf
cat > "$T/unbound.conf" <<UB
server:
    interface: 127.0.0.1
    port: 53
    do-daemonize: no
    username: ""
    chroot: ""
    directory: "$T"
    pidfile: ""
    use-syslog: no
    logfile: "$T/unbound.log"
    do-ip6: no
    local-zone: "." refuse
    local-zone: "test." static
    local-data: "remote.test. MX 10 mx.remote.test."
    local-data: "mx.remote.test. A 127.0.0.2"
UB
unbound -d -c "$T/unbound.conf" &
PIDS+=($!)
printf 'nameserver 127.0.0.1\n' > "$T/resolv.conf"
mount --bind "$T/resolv.conf" /etc/resolv.conf || fail "bind-mount resolv.conf"
$PY "$HERE/../testdata/mta_smtp/pysink.py" 127.0.0.2 25 "$T/sink" &
PIDS+=($!)
for _ in $(seq 50); do
    $PY - <<'PY' 2>/dev/null && break
import socket
socket.create_connection(("127.0.0.2", 25), 1).close()
q = bytes.fromhex("123401000001000000000000") + b"\x06remote\x04test\x00\x00\x0f\x00\x01"
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(0.2)
s.sendto(q, ("127.0.0.1", 53)); s.recv(512)
PY
    sleep 0.1
done

TZ=$ZONE "$BIN" start -c "$T/etc" 2> "$T/start.err" || {
    cat "$T/start.err" >&2; fail "postern start with Debian's master.cf"; }
MASTER_PID=$(tr -d ' ' < "$T/queue/pid/master.pid")

$PY - "$RCPT" <<'PY' > "$T/smtp.out" 2>&1 || { cat "$T/smtp.out"; fail "SMTP dialogue"; }
import smtplib, ssl, sys
rcpt = sys.argv[1]
s = smtplib.SMTP("127.0.0.1", 25, timeout=20)
s.ehlo("client.example.test")
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
s.starttls(context=ctx)
print("tls:", s.sock.version())
s.ehlo("client.example.test")
s.mail("sender@example.test")
code, text = s.rcpt(rcpt + "@mx.example.test")
print("rcpt local:", code, text.decode())
assert code == 250, (code, text)
code, text = s.rcpt("nosuchuser@mx.example.test")
print("rcpt unknown:", code, text.decode())
assert code == 550 and text.decode() == \
    "5.1.1 <nosuchuser@mx.example.test>: Recipient address rejected: " \
    "User unknown in local recipient table", (code, text)
code, text = s.data("Subject: chroot debian\r\n\r\nhello " + rcpt + "\r\n")
print("data:", code, text.decode())
assert code == 250, (code, text)
# relayed through the (chrooted) smtp client by MX, from resolv.conf
s.mail("sender@example.test")
code, text = s.rcpt("far@remote.test")
assert code == 250, (code, text)
code, text = s.data("Subject: chroot debian remote\r\n\r\nfar away\r\n")
assert code == 250, (code, text)
s.mail("sender@example.test")
code, text = s.rcpt("someone@svc.test")
assert code == 250, (code, text)
code, text = s.data("Subject: chroot debian transport\r\n\r\nby name\r\n")
assert code == 250, (code, text)
s.quit()
PY
pass "STARTTLS in the jail; RCPT to the local user accepted; unknown user: 550 5.1.1 User unknown in local recipient table"

wait_log "to=<$RCPT@mx\.example\.test>, relay=local, .*status=sent \(delivered to mailbox\)" 1 20
grep -q "^Subject: chroot debian$" "$T/spool/$RCPT" || fail "no message in $T/spool/$RCPT"
[ "$(stat -c %U "$T/spool/$RCPT")" = "$RCPT" ] || fail "mailbox not owned by the user"
pass "delivered to the local user's mailbox"

# a table file read before the jail changes: the jailed smtpd (and the
# unjailed local) restart and read it again, as Postfix's daemons do
sleep 1.1 # a new mtime even on coarse clocks
printf 'postmaster: root\ninfo: %s\n' "$RCPT" > "$T/etc/aliases"
wait_log "postfix/local\[[0-9]+\]: table hash:$T/etc/aliases has changed -- restarting" 1 15
ok=
for _ in $(seq 20); do
    $PY - <<'PY' > "$T/alias.out" 2>&1 && { ok=1; break; }
import smtplib
s = smtplib.SMTP("127.0.0.1", 25, timeout=20)
s.ehlo("client.example.test")
s.mail("sender@example.test")
code, text = s.rcpt("info@mx.example.test")
print("rcpt info:", code, text.decode())
assert code == 250
code, text = s.data("Subject: chroot debian alias\r\n\r\nnew alias\r\n")
assert code == 250, (code, text)
s.quit()
PY
    sleep 0.5
done
[ -n "$ok" ] || { cat "$T/alias.out"; fail "the jailed smtpd did not see the new alias"; }
grep -qE "postfix/smtpd\[[0-9]+\]: table hash:$T/etc/aliases has changed -- restarting" "$T/maillog" ||
    fail "smtpd did not log the changed table"
wait_log "to=<$RCPT@example\.test>, orig_to=<info@mx\.example\.test>, relay=local, .*status=sent \(delivered to mailbox\)" 1 20
pass "a changed alias file: the jailed smtpd and local restart and use it"

wait_log "to=<far@remote\.test>, relay=mx\.remote\.test\[127\.0\.0\.2\]:25, .*status=sent" 1 20
pass "smtp client (chrooted) found the MX through resolv.conf's resolver"
wait_log "to=<someone@svc\.test>, relay=mx\.remote\.test\[127\.0\.0\.2\]:25, .*status=sent" 1 20
pass "smtp client (chrooted) found port \"smtp\" in /etc/services (transport_maps)"

# who runs where
pid=$(pgrep -s "$MASTER_PID" -x smtpd | head -1)
[ -n "$pid" ] || fail "no smtpd process"
[ "$(readlink "/proc/$pid/root")" = "$T/queue" ] || fail "smtpd is not chrooted"
[ "$(ps -o user= -p "$pid")" = "$OWNER" ] || fail "smtpd does not run as mail_owner"
pid=$(pgrep -s "$MASTER_PID" -x proxymap | head -1)
[ -n "$pid" ] || fail "no proxymap process"
[ "$(readlink "/proc/$pid/root")" = / ] || fail "proxymap is chrooted"
[ "$(ps -o user= -p "$pid")" = "$OWNER" ] || fail "proxymap does not run as mail_owner"
pass "smtpd chrooted as mail_owner; proxymap unchrooted as mail_owner"

# glibc's name service inside the jail: smtpd names the client as
# /etc/hosts does outside (getnameinfo reads hosts and nsswitch.conf)
if getent hosts 127.0.0.1 | grep -qw localhost; then
    grep -q 'postfix/smtpd\[[0-9]*\]: connect from localhost\[127\.0\.0\.1\]$' "$T/maillog" ||
        fail "smtpd inside the jail did not find 127.0.0.1's name in /etc/hosts"
    pass "smtpd inside the jail names 127.0.0.1 from /etc/hosts"
fi

# time stamps of chrooted daemons in TZ's zone (not UTC)
want=$(TZ=$ZONE date '+%b %e %H')
utc=$(TZ=UTC date '+%b %e %H')
grep -q "^$want:[0-9:]* mx postfix/smtpd\[[0-9]*\]: connect from" "$T/maillog" || {
    grep 'postfix/smtpd' "$T/maillog" | head -3 >&2
    fail "smtpd's log time is not in $ZONE ($want; UTC is $utc)"; }
grep -q "^$want:[0-9:]* mx postfix/cleanup\[" "$T/maillog" || fail "cleanup's log time is not in $ZONE"
pass "chrooted daemons log local time of TZ=$ZONE"

# the restrictions' DNS lookups from inside the jail, through the
# resolver resolv.conf named before it (issue 16)
$PY - "$RCPT" <<'PY' > "$T/dnsrestr.out" 2>&1 || { cat "$T/dnsrestr.out"; fail "reject_unknown_sender_domain in the jail"; }
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", 25, timeout=20)
s.ehlo("client.example.test")
s.mail("someone@nowhere.test")
code, text = s.rcpt(sys.argv[1] + "@mx.example.test")
assert (code, text.decode()) == (450, "4.1.8 <someone@nowhere.test>: Sender "
                                 "address rejected: Domain not found"), (code, text)
s.rset()
s.mail("someone@remote.test")
code, text = s.rcpt(sys.argv[1] + "@mx.example.test")
assert code == 250, (code, text)
s.quit()
PY
pass "reject_unknown_sender_domain from inside the jail: NXDOMAIN refused, an MX domain accepted"

grep -E 'postfix/[a-z]+\[[0-9]+\]: (fatal|panic|error):' "$T/maillog" && fail "errors in the maillog"
grep -E 'postfix/[a-z]+\[[0-9]+\]: warning: .*(No such file|chroot|jail)' "$T/maillog" &&
    fail "a daemon missed a file outside its jail"
pass "no errors in the maillog, no file missed inside a jail"
"$BIN" stop -c "$T/etc" 2>/dev/null || fail "stop"
pass "stopped"
