#!/bin/bash
# mta_mailhost.sh - examples/mailhost end to end (issue 18): Postern and a
# real Dovecot run the example's main.cf, master.cf and dovecot.conf,
# with only paths and ports moved under the test directory and the test
# client (127.0.0.1) kept out of mynetworks, as a stranger on the
# Internet is. Users log in on submission (STARTTLS) and submissions
# (wrapper mode) through Dovecot's auth service, mail for the hosted
# domains goes over LMTP into Dovecot and is read back over IMAP, mail
# for elsewhere is relayed (to smtp-sink standing in for the Internet).
# Usage: tests/mta_mailhost.sh path/to/postern
BIN=${1:?usage: mta_mailhost.sh POSTERN}
. "$(dirname "$0")/mta_lib.sh"
. "$HERE/dovecot_lib.sh"
EX=$HERE/../examples/mailhost
CLIENT=$HERE/../testdata/mailhost/client.py
SINK=$(command -v smtp-sink || echo /usr/sbin/smtp-sink)
[ -x "$SINK" ] || { echo "skip: smtp-sink (Debian package postfix) not installed"; exit 77; }
command -v openssl >/dev/null || { echo "skip: openssl not installed"; exit 77; }
export POSTERN_DNS_RESOLVERS=127.0.0.1:9

T=$(mktemp -d /tmp/mta-test.XXXXXX)
chmod 755 "$T"
trap cleanup_instance EXIT
P25=$(free_port) P587=$(free_port) P465=$(free_port) PSINK=$(free_port)
PORT=$P25
mkdir -p "$T/etc/tls" "$T/queue/private" "$T/vmail" "$T/sink"
cp "$EX"/main.cf "$EX"/master.cf "$EX"/dovecot.conf "$EX"/aliases \
    "$EX"/vmailbox "$EX"/virtual "$EX"/sender_login "$T/etc/"
sed -i -e "s#/etc/postern/#$T/etc/#g" -e "s#/etc/dovecot/users#$T/etc/dovecot-users#g" \
    -e "s#/var/spool/postfix#$T/queue#g" -e "s#/var/mail/vhosts#$T/vmail#g" \
    "$T"/etc/*.cf "$T"/etc/dovecot.conf
sed -i -e "s/^smtp      inet/127.0.0.1:$P25 inet/" \
    -e "s/^submission inet/127.0.0.1:$P587 inet/" \
    -e "s/^submissions inet/127.0.0.1:$P465 inet/" "$T/etc/master.cf"
grep -q "^127.0.0.1:$P587 " "$T/etc/master.cf" || fail "master.cf: submission entry not found"
# the instance's paths and its Internet, set as an admin would (postconf -e)
"$BIN" conf -c "$T/etc" -e "queue_directory = $T/queue" "maillog_file = $T/maillog" \
    "inet_interfaces = loopback-only" "mynetworks = [::1]/128" \
    "relayhost = [127.0.0.1]:$PSINK" || fail "postern conf -e"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/etc/tls/mail.example.com.key" \
    -out "$T/etc/tls/mail.example.com.pem" -days 2 \
    -subj "/CN=mail.example.com" >"$T/openssl.log" 2>&1 ||
    { cat "$T/openssl.log" >&2; fail "openssl: test certificate"; }
# Dovecot's users: SHA512-CRYPT as the example's passdb says
for u in alice@example.com:alice-pw bob@example.net:bob-pw admin@example.com:admin-pw; do
    echo "${u%%:*}:$(openssl passwd -6 "${u#*:}")::::::" >> "$T/etc/dovecot-users"
done
mkdir -p "$T/dovecot"
mv "$T/etc/dovecot.conf" "$T/dovecot/dovecot.conf"
sed -i "s/uid=vmail gid=vmail/uid=$(id -u "$RUN_USER") gid=$(id -g "$RUN_USER")/" \
    "$T/dovecot/dovecot.conf"
touch "$T/maillog"
chmod 777 "$T/sink"
[ "$(id -u)" = 0 ] && chown -R "$RUN_USER" "$T"

# the example passes lint and check without a warning
as_user "$BIN" lint "$T/etc" > "$T/lint.out" 2>&1 || true
grep -E ': (error|warning):' "$T/lint.out" &&
    fail "postern lint: warnings on the example (above)"
as_user "$BIN" check -c "$T/etc" > "$T/check.out" 2>&1 ||
    { cat "$T/check.out" >&2; fail "postern check refuses the example"; }
grep -E 'warning|error' "$T/check.out" && fail "postern check: notes on the example (above)"
pass "lint and check accept the example"

u=()
[ "$(id -u)" = 0 ] && u=(-u nobody)
"$SINK" "${u[@]}" -d "$T/sink/%M." "127.0.0.1:$PSINK" 64 2>>"$T/sink.err" &
PIDS+=($!)
mta_start
dovecot_start_conf "$T/dovecot/dovecot.conf"
trap 'dovecot_stop; stop_pids; cleanup_instance' EXIT

client() { $PY "$CLIENT" "$@"; }
expect() {  # expect WHAT WANT GOT
    [ "$3" = "$2" ] || { tail -n 20 "$T/maillog" >&2; fail "$1: got '$3', want '$2'"; }
    pass "$1"
}

# submission: STARTTLS, AUTH PLAIN, to another hosted domain and to the
# Internet in one transaction
r=$(client submit "$P587" starttls alice@example.com alice-pw \
    alice@example.com bob@example.net,someone@example.org hosted-1)
expect "submission: STARTTLS + AUTH PLAIN, mail accepted" ok "$r"
wait_log 'sasl_method=PLAIN, sasl_username=alice@example\.com'
r=$(client imap "$DOVECOT_IMAP_PORT" bob@example.net bob-pw hosted-1)
case $r in
*"From: <alice@example.com>"*"To: <bob@example.net>"*"| body of hosted-1") pass "LMTP into Dovecot, read back over IMAP" ;;
*) tail -n 20 "$T/maillog" >&2; fail "IMAP: $r" ;;
esac
wait_log "to=<bob@example\.net>, relay=.*private/dovecot-lmtp.*status=sent"
for i in $(seq 100); do
    grep -lq 'someone@example.org' "$T"/sink/* 2>/dev/null && break
    sleep 0.1
done
grep -lq 'Subject: hosted-1' "$T"/sink/* 2>/dev/null || fail "relay: nothing at the sink"
pass "relayed to the Internet after AUTH"

# submissions (port 465, TLS from the first byte), AUTH LOGIN, an alias
r=$(client submit "$P465" wrapper alice@example.com+login alice-pw \
    info@example.com team@example.com hosted-2)
expect "submissions: wrapper mode + AUTH LOGIN" ok "$r"
r=$(client imap "$DOVECOT_IMAP_PORT" alice@example.com alice-pw hosted-2)
case $r in *"| body of hosted-2") pass "team@ alias reached alice" ;; *) fail "alias, alice: $r" ;; esac
r=$(client imap "$DOVECOT_IMAP_PORT" bob@example.net bob-pw hosted-2)
case $r in *"| body of hosted-2") pass "team@ alias reached bob" ;; *) fail "alias, bob: $r" ;; esac

# wrong password: 535, and Postfix's log line (fail2ban's postfix-sasl)
r=$(client submit "$P587" starttls alice@example.com wrong-pw \
    alice@example.com bob@example.net hosted-3)
case $r in "535 5.7.8 Error: authentication failed"*) pass "wrong password: $r" ;; *) fail "wrong password: $r" ;; esac
wait_log 'warning: [^ ]*\[127\.0\.0\.1\]: SASL PLAIN authentication failed'

# no AUTH before STARTTLS: not offered (smtpd_tls_auth_only), and with
# smtpd_tls_security_level = encrypt Postfix's 530 before any mail command
r=$(client authfirst "$P587" | tr '\n' ' ')
case $r in "not-offered 530 5.7.0 Must issue a STARTTLS command first"*) pass "AUTH before STARTTLS refused: $r" ;; *) fail "AUTH before STARTTLS: $r" ;; esac

# a sender address the login does not own
r=$(client submit "$P587" starttls alice@example.com alice-pw \
    bob@example.net admin@example.com hosted-4)
case $r in "553 5.7.1"*"not owned by user alice@example.com"*) pass "sender login mismatch: $r" ;; *) fail "sender login mismatch: $r" ;; esac

# port 25: hosted users only, no relay for strangers
r=$(client plain "$P25" sender@example.org nobody@example.com)
case $r in "550 5.1.1"*"User unknown in virtual mailbox table"*) pass "unknown user at RCPT: $r" ;; *) fail "unknown user: $r" ;; esac
r=$(client plain "$P25" sender@example.org someone@example.org)
case $r in "454 4.7.1"*"Relay access denied"*|"554 5.7.1"*"Relay access denied"*) pass "no relay on port 25: $r" ;; *) fail "relay on port 25: $r" ;; esac
r=$(client plain "$P25" sender@example.org bob@example.net)
expect "port 25: hosted user accepted" "250 2.1.5 Ok" "$r"
