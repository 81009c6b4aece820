#!/usr/bin/env bash
# mta_tls_level.sh - an instance at a TLS security level Postern cannot
# enforce (smtp_tls_security_level = dane) neither starts nor sends mail
# in clear (issue 16). Before, dane silently became "may": mail went to a
# server without STARTTLS in plain text.
#
#   mta_tls_level.sh BIN start|deliver|smtpd|legacy
#
# start: "postern start" (and "reload") refuse the setting, naming the
# file, the line and the parameter. deliver: the configuration reaches a
# running master without the check (SIGHUP, as an edit followed by a
# plain kill -HUP would): the smtp client itself defers the mail with
# the reason, and the smtp-sink on loopback receives nothing. smtpd:
# smtpd_tls_security_level = verify is encrypt with Postfix's warning
# (before, smtpd offered no TLS at all and took mail in clear). legacy:
# smtp_enforce_tls = yes with no smtp_tls_security_level is Postfix's
# "verify" (before, it was ignored and mail went out in clear).
set -u
BIN=$1
CASE=$2
. "$(dirname "$0")/mta_lib.sh"

case_start() {
    mta_setup "smtp_tls_security_level = dane"
    if "${AS[@]}" "$BIN" start -c "$T/etc" 2> "$T/start.err"; then
        fail "postern start accepted smtp_tls_security_level = dane"
    fi
    n=$(grep -n '^smtp_tls_security_level' "$T/etc/main.cf" | cut -d: -f1)
    grep -qE "error: .*main\.cf:$n: smtp_tls_security_level: TLS security level \"dane\" is not implemented by Postern" "$T/start.err" \
        || { cat "$T/start.err"; fail "the refusal names main.cf line $n and the parameter"; }
    [ -e "$T/queue/pid/master.pid" ] && pgrep -F "$T/queue/pid/master.pid" >/dev/null \
        && fail "a master runs"
    pass "start refused: main.cf line $n: smtp_tls_security_level = dane"
    # the same level on one transport (-o) is refused with its master.cf line
    sed -i '/^smtp_tls_security_level/d' "$T/etc/main.cf"
    printf 'tlsout    unix  -       -       n      -      -       smtp\n  -o smtp_tls_security_level=dane-only\n' >> "$T/etc/master.cf"
    n=$(grep -n '^tlsout' "$T/etc/master.cf" | cut -d: -f1)
    "${AS[@]}" "$BIN" start -c "$T/etc" 2> "$T/start.err" && fail "start accepted -o dane-only"
    grep -qE "error: .*master\.cf:$n: tlsout/unix: smtp_tls_security_level: TLS security level \"dane-only\"" "$T/start.err" \
        || { cat "$T/start.err"; fail "the refusal names master.cf line $n"; }
    pass "start refused: master.cf line $n: tlsout/unix -o smtp_tls_security_level=dane-only"
}

# plain_sink [main.cf lines]: an instance relaying to a smtp-sink without
# STARTTLS (only a plain-text delivery can reach it; it keeps what it
# gets in $T/sink), started
plain_sink() {
    local sink sp u=()
    sink=$(command -v smtp-sink || echo /usr/sbin/smtp-sink)
    [ -x "$sink" ] || { echo "skip: smtp-sink (Debian package postfix) not installed"; exit 77; }
    sp=$(free_port)
    mta_setup "relayhost = [127.0.0.1]:$sp" "$@"
    mkdir -p "$T/sink"; chmod 777 "$T/sink"
    [ "$(id -u)" = 0 ] && u=(-u nobody)
    "$sink" "${u[@]}" -d "$T/sink/%M." "127.0.0.1:$sp" 16 2>/dev/null &
    PIDS+=($!)
    trap 'stop_pids; cleanup_instance' EXIT
    for _ in $(seq 50); do
        $PY -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' "$sp" 2>/dev/null && break
        sleep 0.1
    done
    mta_start
}

send_one() {
    $PY - "$PORT" <<'PY' || fail "submit"
import smtplib, sys
with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=5) as s:
    s.sendmail("alice@local.test", ["x@example.net"], "Subject: secret\r\n\r\nx\r\n")
PY
}

case_deliver() {
    plain_sink "smtp_tls_security_level = may"
    sed -i 's/^smtp_tls_security_level = may/smtp_tls_security_level = dane/' "$T/etc/main.cf"
    "${AS[@]}" "$BIN" reload -c "$T/etc" 2> "$T/reload.err" && fail "postern reload accepted dane"
    grep -q 'smtp_tls_security_level: TLS security level "dane"' "$T/reload.err" \
        || { cat "$T/reload.err"; fail "reload names the setting"; }
    pass "reload refused smtp_tls_security_level = dane"
    kill -HUP "$MASTER_PID"
    wait_log 'reload -- version' 1
    send_one
    wait_log 'to=<x@example\.net>, relay=none, .*dsn=4\.7\.5, status=deferred \(TLS security level "dane" \(smtp_tls_security_level\) is not implemented by Postern: not sent rather than sent with less security\)' 1 20
    sleep 0.5
    [ -z "$(ls -A "$T/sink")" ] || fail "the sink received the message in clear"
    pass "smtp client at dane: deferred (4.7.5) with the reason, nothing sent in clear"
}

case_smtpd() {
    command -v openssl >/dev/null || { echo "skip: openssl not installed"; exit 77; }
    mta_setup
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -subj /CN=mx.example.test -days 2 -keyout "$T/key.pem" -out "$T/cert.pem" \
        >/dev/null 2>&1 || fail "openssl"
    chmod 644 "$T/key.pem" "$T/cert.pem"
    printf 'smtpd_tls_cert_file = %s\nsmtpd_tls_key_file = %s\n' "$T/cert.pem" "$T/key.pem" >> "$T/etc/main.cf"
    local p2
    p2=$(free_port)
    echo "127.0.0.1:$p2 inet n - n - - smtpd -o smtpd_tls_security_level=verify" >> "$T/etc/master.cf"
    mta_start
    grep -q 'warning: .*smtpd_tls_security_level: unsupported TLS level "verify", using "encrypt"' "$T/start.err" \
        || { cat "$T/start.err"; fail "check warns as Postfix's smtpd does"; }
    $PY - "$p2" <<'PY' || fail "verify is not encrypt"
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=5)
s.ehlo("client.example.test")
assert s.has_extn("starttls"), s.esmtp_features
code, text = s.docmd("MAIL FROM:<a@example.test>")
assert code == 530, (code, text)
s.quit()
PY
    wait_log 'warning: smtpd_tls_security_level: unsupported TLS level "verify", using "encrypt"' 1
    pass "smtpd at verify: STARTTLS offered, MAIL in clear refused (530), Postfix's warning"
}

case_legacy() {
    plain_sink "smtp_enforce_tls = yes"
    send_one
    wait_log 'to=<x@example\.net>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:[0-9]+, .*status=deferred \(TLS is required, but was not offered by host 127\.0\.0\.1\[127\.0\.0\.1\]\)' 1 20
    sleep 0.5
    [ -z "$(ls -A "$T/sink")" ] || fail "the sink received the message in clear"
    pass "smtp_enforce_tls = yes: deferred (TLS is required, but was not offered), nothing sent in clear"
}

case "$CASE" in
start) case_start ;;
legacy) case_legacy ;;
deliver) case_deliver ;;
smtpd) case_smtpd ;;
*) fail "unknown case $CASE" ;;
esac
