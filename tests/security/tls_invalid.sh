#!/usr/bin/env bash
# tls_invalid.sh - a bad TLS protocol or cipher value is never silently
# ignored (issue 15, finding 12).
#
# The attack is on the admin's intent: a typo in smtpd_tls_protocols
# (">=TLSv1.4") or a cipher grade must not quietly leave the old,
# weaker policy in force or turn TLS off unnoticed. Postern refuses the
# value in "postern check", "start" and "reload" (naming the service
# and the parameter; a refused reload changes nothing, the running
# policy stays). Should a daemon still get such a value (SIGHUP to
# master bypasses the check), it does what Postfix does and says so:
# "warning: smtpd_tls_protocols: Invalid TLS protocol list ">=TLSv1.4":
# disabling TLS support"; at "encrypt" that fails closed (no STARTTLS,
# MAIL refused with 530).
#
# Before the fix the values were not read at all: check and reload
# succeeded and TLS 1.2 clients kept getting sessions.
BIN=$1
. "$(dirname "$0")/lib.sh"
command -v openssl >/dev/null || { echo "skip: openssl not installed"; exit 77; }

sec_setup "smtpd_tls_security_level = may" \
    "smtpd_tls_cert_file = @T@/cert.pem" "smtpd_tls_key_file = @T@/key.pem" \
    "smtpd_tls_protocols = >=TLSv1.3" "smtpd_tls_mandatory_protocols = >=TLSv1.3"
sed -i "s|@T@|$T|g" "$T/etc/main.cf"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -subj /CN=mx.example.test -days 2 -keyout "$T/key.pem" -out "$T/cert.pem" \
    >/dev/null 2>&1 || fail "openssl req"
chmod 600 "$T/key.pem"
PE=$(free_port)
echo "127.0.0.1:$PE inet n - n - - smtpd -o smtpd_tls_security_level=encrypt" >> "$T/etc/master.cf"
mta_start

hs() { # PORT s_client options: "PROTO" of an established session
    timeout 20 openssl s_client -starttls smtp -connect "127.0.0.1:$1" -brief \
        "${@:2}" </dev/null 2>&1 | sed -n 's/^Protocol version: //p'
}
wait_up() {
    local p
    for p in "$PORT" "$PE"; do
        for _ in $(seq 100); do
            $PY -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' "$p" 2>/dev/null && break
            sleep 0.1
        done
    done
}
wait_up
[ "$(hs "$PORT" -tls1_3)" = TLSv1.3 ] || fail "TLS 1.3 session before the change"
[ -z "$(hs "$PORT" -tls1_2)" ] || fail "TLS 1.2 refused before the change"
pass "running: smtpd_tls_protocols = >=TLSv1.3 in force"

cp "$T/etc/main.cf" "$T/main.cf.good"
cp "$T/etc/master.cf" "$T/master.cf.good"
# bad PARAM VALUE WANT [master.cf|main.cf]: check and reload refuse it
bad() {
    local param=$1 value=$2 want=$3
    cp "$T/main.cf.good" "$T/etc/main.cf"
    cp "$T/master.cf.good" "$T/etc/master.cf"
    echo "$param = $value" >> "$T/etc/main.cf"
    if "$BIN" check -c "$T/etc" 2> "$T/check.err"; then
        fail "postern check accepted $param = $value"
    fi
    grep -qF -- "$want" "$T/check.err" || { cat "$T/check.err"; fail "check message for $param = $value"; }
    if "$BIN" reload -c "$T/etc" 2> "$T/reload.err"; then
        fail "postern reload accepted $param = $value"
    fi
    grep -qF -- "$want" "$T/reload.err" || { cat "$T/reload.err"; fail "reload message"; }
    pass "$param = ${value%%$'\n'*}: check and reload refuse it: $(grep -F -- "$want" "$T/check.err" | head -n 1)"
}
bad smtpd_tls_protocols ">=TLSv1.4" \
    "master.cf line 2: 127.0.0.1:$PORT/inet: smtpd_tls_protocols: Invalid TLS protocol list \">=TLSv1.4\""
bad smtpd_tls_protocols "TLSv1.2, SSLv4" "smtpd_tls_protocols: Invalid TLS protocol list"
bad smtpd_tls_protocols ">=TLSv1.3, !TLSv1.3" "smtpd_tls_protocols: no TLS protocol is left"
bad smtpd_tls_mandatory_protocols "TLSv1.2 TLSv1.9" \
    "127.0.0.1:$PE/inet: smtpd_tls_mandatory_protocols: Invalid TLS protocol list"
bad smtpd_tls_ciphers "hihg" "smtpd_tls_ciphers: invalid cipher grade: \"hihg\""
bad smtpd_tls_exclude_ciphers "!RC4" "smtpd_tls_exclude_ciphers: invalid unary '!+-@' in cipher exclusion"
bad tls_medium_cipherlist "NO-SUCH-CIPHER" "smtpd_tls_ciphers = medium: no cipher left"
bad smtp_tls_security_level "encrypt
smtp_tls_mandatory_protocols = >=TLSv2" \
    "smtp/unix: smtp_tls_mandatory_protocols: Invalid TLS protocol list \">=TLSv2\""

# the refused reloads changed nothing
[ -z "$(hs "$PORT" -tls1_2)" ] || fail "TLS 1.2 session after the refused reloads"
[ "$(hs "$PORT" -tls1_3)" = TLSv1.3 ] || fail "TLS 1.3 session after the refused reloads"
pass "refused reloads left the running policy as it was"

# bypass the check (SIGHUP to master): the daemons say what they do
cp "$T/main.cf.good" "$T/etc/main.cf"
cp "$T/master.cf.good" "$T/etc/master.cf"
sed -i 's/^smtpd_tls_protocols = .*/smtpd_tls_protocols = >=TLSv1.4/; s/^smtpd_tls_mandatory_protocols = .*/smtpd_tls_mandatory_protocols = >=TLSv1.4/' "$T/etc/main.cf"
kill -HUP "$MASTER_PID"
wait_log 'reload -- version' 1
sleep 1
wait_up
$PY - "$PORT" "$PE" <<'PY' || fail "after SIGHUP"
import smtplib, sys
may, enc = int(sys.argv[1]), int(sys.argv[2])
with smtplib.SMTP("127.0.0.1", may, timeout=20) as s:
    s.ehlo("client.example.com")
    assert not s.has_extn("starttls"), "may: STARTTLS offered with a broken policy"
with smtplib.SMTP("127.0.0.1", enc, timeout=20) as s:
    s.ehlo("client.example.com")
    assert not s.has_extn("starttls"), "encrypt: STARTTLS offered with a broken policy"
    code, text = s.mail("a@example.com")
    assert code == 530, "encrypt: MAIL without TLS got %d %s" % (code, text)
PY
wait_log 'postfix/smtpd\[[0-9]+\]: warning: smtpd_tls_protocols: Invalid TLS protocol list ">=TLSv1\.4": disabling TLS support' 1
wait_log 'postfix/smtpd\[[0-9]+\]: warning: smtpd_tls_mandatory_protocols: Invalid TLS protocol list ">=TLSv1\.4": disabling TLS support' 1
pass "a bad value that reaches smtpd: Postfix's warning with the parameter, TLS off, encrypt fails closed (530)"
