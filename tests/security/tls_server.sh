#!/usr/bin/env bash
# tls_server.sh - smtpd applies Postfix's TLS protocol and cipher
# parameters (issue 15, finding 12): a client that offers only what the
# configuration excludes is refused the handshake.
#
# The attack: a downgrade. The admin set smtpd_tls_protocols = >=TLSv1.3
# (or excluded ciphers); a client that speaks only TLS 1.2 (or offers only
# the excluded cipher) must not get a session. Before the fix smtpd
# ignored every one of these parameters (floor hard-coded at TLS 1.0) and
# the handshake succeeded.
#
# Real clients: openssl s_client -starttls smtp against an instance
# started as root. One listener per case, each with its own -o settings:
#   A  may,     smtpd_tls_protocols = >=TLSv1.3 (mandatory list differs)
#   B  encrypt, smtpd_tls_mandatory_protocols = >=TLSv1.3 (the
#      opportunistic list, <=TLSv1.2, must not apply)
#   C  encrypt, smtpd_tls_mandatory_protocols = !SSLv2, !SSLv3, !TLSv1,
#      !TLSv1.1, !TLSv1.2 (the main.cf one, <=TLSv1.2, would allow 1.2)
#   D  may,     smtpd_tls_protocols = >=TLSv1, !TLSv1.3 (mixed: ceiling
#      by exclusion)
#   E  may,     smtpd_tls_exclude_ciphers on TLS 1.2
#   F  may,     smtpd_tls_ciphers = high through tls_high_cipherlist
#   G  encrypt, smtpd_tls_mandatory_ciphers = medium through
#      tls_medium_cipherlist, minus smtpd_tls_mandatory_exclude_ciphers
#   H  may,     tls_preempt_cipherlist = yes: the server's order wins
BIN=$1
. "$(dirname "$0")/lib.sh"
command -v openssl >/dev/null || { echo "skip: openssl not installed"; exit 77; }

AES128=ECDHE-ECDSA-AES128-GCM-SHA256
AES256=ECDHE-ECDSA-AES256-GCM-SHA384
CHACHA=ECDHE-ECDSA-CHACHA20-POLY1305

sec_setup "smtpd_tls_security_level = may" "smtpd_tls_loglevel = 1" \
    "smtpd_tls_cert_file = @T@/cert.pem" "smtpd_tls_key_file = @T@/key.pem" \
    "smtpd_tls_protocols = >=TLSv1.3" "smtpd_tls_mandatory_protocols = <=TLSv1.2"
sed -i "s|@T@|$T|g" "$T/etc/main.cf"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -subj /CN=mx.example.test -addext subjectAltName=DNS:mx.example.test \
    -days 2 -keyout "$T/key.pem" -out "$T/cert.pem" >/dev/null 2>&1 || fail "openssl req"
chmod 600 "$T/key.pem"

# listener NAME -o ...: one more smtpd on a free port, $PORT_NAME
listener() {
    local name=$1 p
    shift
    p=$(free_port)
    eval "PORT_$name=$p"
    echo "127.0.0.1:$p inet n - n - - smtpd $*" >> "$T/etc/master.cf"
}
listener B -o smtpd_tls_security_level=encrypt \
    -o "smtpd_tls_mandatory_protocols=>=TLSv1.3" -o "smtpd_tls_protocols=<=TLSv1.2"
listener C -o smtpd_tls_security_level=encrypt \
    -o "{smtpd_tls_mandatory_protocols = !SSLv2, !SSLv3, !TLSv1, !TLSv1.1, !TLSv1.2}"
listener D -o "{smtpd_tls_protocols = >=TLSv1, !TLSv1.3}"
listener E -o "smtpd_tls_protocols=>=TLSv1" -o "smtpd_tls_exclude_ciphers=$AES256"
listener F -o "smtpd_tls_protocols=>=TLSv1" -o smtpd_tls_ciphers=high \
    -o "tls_high_cipherlist=$AES128"
listener G -o smtpd_tls_security_level=encrypt \
    -o "smtpd_tls_mandatory_protocols=>=TLSv1" -o smtpd_tls_mandatory_ciphers=medium \
    -o "tls_medium_cipherlist=$AES128:$AES256" \
    -o "smtpd_tls_mandatory_exclude_ciphers=$AES128"
listener H -o "smtpd_tls_protocols=>=TLSv1" -o smtpd_tls_ciphers=high \
    -o "tls_high_cipherlist=$AES128:$AES256" -o tls_preempt_cipherlist=yes
listener I -o "smtpd_tls_protocols=>=TLSv1" -o smtpd_tls_ciphers=high \
    -o "tls_high_cipherlist=$AES128:$AES256"
mta_start

# hs PORT s_client-options...: the handshake after STARTTLS; prints
# "PROTOCOL CIPHER" and succeeds only if a TLS session was established
hs() {
    local port=$1 out
    shift
    out=$(timeout 20 openssl s_client -starttls smtp -connect "127.0.0.1:$port" \
        -brief -servername mx.example.test "$@" </dev/null 2>&1)
    local rc=$?
    local proto cipher
    proto=$(sed -n 's/^Protocol version: //p' <<<"$out")
    cipher=$(sed -n 's/^Ciphersuite: //p' <<<"$out")
    [ "$rc" = 0 ] && [ -n "$proto" ] || return 1
    echo "$proto $cipher"
}
# refused WHAT PORT options: the handshake must fail
refused() {
    local what=$1 got
    shift
    if got=$(hs "$@"); then fail "$what: handshake succeeded ($got)"; fi
    pass "$what: refused"
}
# accepted WHAT WANT PORT options: must succeed with "PROTO CIPHER" WANT
accepted() {
    local what=$1 want=$2 got
    shift 2
    got=$(hs "$@") || fail "$what: handshake failed"
    case "$got" in
    $want) pass "$what: $got" ;;
    *) fail "$what: got \"$got\", want \"$want\"" ;;
    esac
}

# wait until every listener answers
for p in "$PORT" "$PORT_B" "$PORT_C" "$PORT_D" "$PORT_E" "$PORT_F" "$PORT_G" "$PORT_H" "$PORT_I"; do
    for _ in $(seq 50); do
        $PY -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' "$p" 2>/dev/null && break
        sleep 0.1
    done
done

# (a) may + smtpd_tls_protocols = >=TLSv1.3
refused "A may, smtpd_tls_protocols = >=TLSv1.3, a TLS 1.2 client" "$PORT" -tls1_2
accepted "A may, >=TLSv1.3, a TLS 1.3 client" "TLSv1.3 *" "$PORT" -tls1_3
accepted "A may: smtpd_tls_mandatory_protocols (<=TLSv1.2) does not apply" "TLSv1.3 *" "$PORT"
# (b) encrypt + smtpd_tls_mandatory_protocols = >=TLSv1.3
refused "B encrypt, smtpd_tls_mandatory_protocols = >=TLSv1.3, a TLS 1.2 client" "$PORT_B" -tls1_2
accepted "B encrypt, >=TLSv1.3, a TLS 1.3 client" "TLSv1.3 *" "$PORT_B" -tls1_3
# (c) exclusion list
refused "C !SSLv2, !SSLv3, !TLSv1, !TLSv1.1, !TLSv1.2: a TLS 1.2 client" "$PORT_C" -tls1_2
accepted "C exclusions: a TLS 1.3 client" "TLSv1.3 *" "$PORT_C" -tls1_3
# mixed: floor and an exclusion as the ceiling
refused "D >=TLSv1, !TLSv1.3: a TLS 1.3 client" "$PORT_D" -tls1_3
accepted "D >=TLSv1, !TLSv1.3: negotiates TLS 1.2" "TLSv1.2 *" "$PORT_D"
# (d) ciphers on TLS 1.2
refused "E smtpd_tls_exclude_ciphers = $AES256: a client offering only it" \
    "$PORT_E" -tls1_2 -cipher "$AES256"
accepted "E exclusion: another cipher still works" "TLSv1.2 $AES128" "$PORT_E" -tls1_2 -cipher "$AES128"
refused "F smtpd_tls_ciphers = high, tls_high_cipherlist = $AES128: a client offering $CHACHA" \
    "$PORT_F" -tls1_2 -cipher "$CHACHA"
accepted "F high grade: the listed cipher" "TLSv1.2 $AES128" "$PORT_F" -tls1_2 -cipher "$AES128"
refused "G encrypt, smtpd_tls_mandatory_exclude_ciphers = $AES128: a client offering only it" \
    "$PORT_G" -tls1_2 -cipher "$AES128"
refused "G encrypt, mandatory_ciphers = medium (tls_medium_cipherlist): a client offering $CHACHA" \
    "$PORT_G" -tls1_2 -cipher "$CHACHA"
accepted "G medium grade minus the mandatory exclusion" "TLSv1.2 $AES256" "$PORT_G" -tls1_2 \
    -cipher "$AES128:$AES256:$CHACHA"
# tls_preempt_cipherlist: the client prefers AES256, the server AES128
accepted "H tls_preempt_cipherlist = yes: the server's preference" "TLSv1.2 $AES128" \
    "$PORT_H" -tls1_2 -cipher "$AES256:$AES128"
accepted "I tls_preempt_cipherlist = no: the client's preference" "TLSv1.2 $AES256" \
    "$PORT_I" -tls1_2 -cipher "$AES256:$AES128"
# the negotiated protocol and cipher in the log, as Postfix 3.7 writes it
# (its TLS 1.3 line has the key exchange and signature, its TLS 1.2 line
# not; both checked against a real Postfix 3.7.11 smtpd with the same
# kind of certificate)
wait_log 'postfix/smtpd\[[0-9]+\]: Anonymous TLS connection established from unknown\[127\.0\.0\.1\]: TLSv1\.3 with cipher TLS_[A-Z0-9_]+ \([0-9]+/[0-9]+ bits\) key-exchange X25519 server-signature ECDSA \(prime256v1\) server-digest SHA256$' 1
wait_log "Anonymous TLS connection established from unknown\[127\.0\.0\.1\]: TLSv1\.2 with cipher $AES128 \(128/128 bits\)$" 1
pass "negotiated protocol and cipher logged"
