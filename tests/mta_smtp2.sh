#!/usr/bin/env bash
# mta_smtp2.sh - end-to-end tests of the SMTP client, part 2: 8BITMIME
# downgrade, STARTTLS levels, a real Postfix as peer in both directions,
# smtp-sink delays, and the address and connection parameters.
#
#   mta_smtp2.sh BIN CASE
#
# Peers run on loopback only: smtp-sink, a small Python sink
# (testdata/mta_smtp/pysink.py), a local unbound for .test names, and an
# isolated Postfix instance (own config and queue directories under the
# scratch directory, listener on 127.0.0.1:high port, chroot n, every
# other destination an error: transport), started from the Debian
# binaries and stopped from the EXIT trap. It never reads or changes
# /etc/postfix. Exit 77 (skipped) when a tool is missing, or for the
# Postfix cases when not root.
set -u
BIN=$1
CASE=$2
. "$(dirname "$0")/mta_lib.sh"
. "$(dirname "$0")/mta_smtp_lib.sh"

PF_DIRS=()
stop_mine() {
    local d
    for d in "${PF_DIRS[@]}"; do pf_stop "$d"; done
    stop_pids
}

# ---- an isolated Postfix instance (tests/postfix_peer.sh) ---------------
. "$(dirname "$0")/postfix_peer.sh"
need_postfix() {
    local why
    why=$(pf_need)
    [ -z "$why" ] || { echo "skip: $why"; exit 77; }
}

# peer_start DIR PORT [main.cf settings]: Postfix with its own config and
# queue under DIR, smtpd on 127.0.0.1:PORT, mail for u@D (D in
# $PF_DOMAINS) delivered by virtual(8) to the Maildir DIR/vmail/D/;
# nothing else leaves unless the settings (postconf -e) say so
PF_DOMAINS="pf.test a.pf.test b.pf.test c.pf.test d.pf.test"
peer_start() {
    local d=$1 port=$2
    shift 2
    mkdir -p "$d/etc" "$d/vmail"
    chown nobody:nogroup "$d/vmail"
    local dom
    : > "$d/etc/vmailbox"
    for dom in $PF_DOMAINS; do echo "u@$dom $dom/" >> "$d/etc/vmailbox"; done
    {
        echo "# isolated test instance (tests/mta_smtp2.sh)"
        pf_main_cf "$d"
        cat <<EOF
myhostname = pf.example.test
mydomain = example.test
myorigin = \$myhostname
mynetworks = 127.0.0.0/8
mydestination =
relay_domains =
local_recipient_maps =
alias_maps =
alias_database =
virtual_mailbox_domains = $PF_DOMAINS
virtual_mailbox_base = $d/vmail
virtual_mailbox_maps = texthash:$d/etc/vmailbox
virtual_uid_maps = static:$(id -u nobody)
virtual_gid_maps = static:$(id -g nobody)
virtual_minimum_uid = 1
smtpd_relay_restrictions = permit_mynetworks, reject
smtpd_peername_lookup = no
smtpd_tls_security_level = none
smtp_tls_security_level = none
smtp_dns_support_level = disabled
smtp_host_lookup = native
relayhost =
default_transport = error:5.7.1 test instance: no off-host delivery
relay_transport = error:5.7.1 test instance: no off-host delivery
smtp_fallback_relay =
bounce_queue_lifetime = 0
EOF
    } > "$d/etc/main.cf"
    local kv
    for kv in "$@"; do postconf -c "$d/etc" -e "$kv" || fail "postconf -e $kv"; done
    pf_master_cf "127.0.0.1:$port inet n  -       n      -      -       smtpd" \
        > "$d/etc/master.cf"
    PF_DIRS+=("$d")
    pf_start "$d" "$port" || fail "Postfix peer"
}

# pf_wait_log DIR PATTERN [COUNT] [SECONDS]: like wait_log, in DIR/maillog
pf_wait_log() {
    local d=$1 pat=$2 n=${3:-1} secs=${4:-10} i
    for i in $(seq $((secs * 20))); do
        [ "$(grep -cE -- "$pat" "$d/maillog")" -ge "$n" ] && return 0
        sleep 0.05
    done
    echo "--- postfix maillog" >&2; tail -n 30 "$d/maillog" >&2
    echo "--- postern maillog" >&2; tail -n 20 "$T/maillog" >&2
    fail "timeout waiting for $n x /$pat/ in $d/maillog"
}

# ---- test certificates ------------------------------------------------------
# certs: $T/pki/ca.pem (test CA), server.pem/server.key for mx.tls.test
# signed by it, other-ca.pem (an unrelated CA)
certs() {
    command -v openssl >/dev/null || { echo "skip: openssl not installed"; exit 77; }
    local p=$T/pki
    mkdir -p "$p"
    (
        cd "$p" || exit 1
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
            -keyout ca.key -out ca.pem -days 2 -subj "/CN=Postern Test CA" &&
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
            -keyout other-ca.key -out other-ca.pem -days 2 -subj "/CN=Other Test CA" &&
        openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
            -keyout server.key -out server.csr -subj "/CN=mx.tls.test" &&
        printf 'subjectAltName=DNS:mx.tls.test\n' > ext.cnf &&
        openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
            -days 2 -extfile ext.cnf -out server.pem
    ) >"$T/openssl.log" 2>&1 || { cat "$T/openssl.log" >&2; fail "openssl: test certificates"; }
    chmod 644 "$p"/*.pem
    chmod 600 "$p"/*.key
}

# ---- cases -----------------------------------------------------------------

case_8bitmime() {
    S7=$(free_port) S8=$(free_port)
    setup
    transport raw -o disable_mime_output_conversion=yes
    route seven.test "smtp:[127.0.0.1]:$S7"
    route eight.test "smtp:[127.0.0.1]:$S8"
    route raw.test "raw:[127.0.0.1]:$S7"
    route nobody.test "smtp:[127.0.0.1]:$S7"
    sink s7 "127.0.0.1:$S7" -8
    sink s8 "127.0.0.1:$S8"
    mta_start
    cat > "$T/m8.eml" <<'EOF'
From: <alice@local.test>
Subject: 8bit test
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="=-b1"
Content-Transfer-Encoding: 8bit

This is a multi-part message.
--=-b1
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Grüße aus Köln = 100 € 
.dot line with ünïcödé
--=-b1
Content-Type: application/octet-stream
Content-Transfer-Encoding: base64

AAECAwQF
--=-b1--
EOF
    for d in seven eight raw; do
        sendfile alice@local.test "u@$d.test" "$T/m8.eml" BODY=8BITMIME || fail "send to $d.test"
    done
    wait_log "to=<u@seven\.test>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:$S7, $LOGRE, dsn=2\.0\.0, status=sent"
    wait_log "to=<u@eight\.test>, .*status=sent"
    # 8-bit content submitted without BODY=8BITMIME is converted too
    sendfile alice@local.test u@nobody.test "$T/m8.eml" || fail "send to nobody.test"
    wait_log "to=<u@raw\.test>, .*status=sent"
    wait_log "to=<u@nobody\.test>, .*status=sent"
    wait_sink s7 3
    wait_sink s8 1
    seven=$(grep -l 'X-Rcpt-Args: <u@seven.test>' "$T"/s7/*) || fail "message at the sink without 8BITMIME"
    raw=$(grep -l 'X-Rcpt-Args: <u@raw.test>' "$T"/s7/*) || fail "raw message at the sink"
    eight=$(grep -l 'X-Rcpt-Args: <u@eight.test>' "$T"/s8/*) || fail "message at the 8BITMIME sink"
    # the server without 8BITMIME: 7-bit clean, no BODY=8BITMIME, decodes to
    # the original text; the server with it: sent as is
    $PY - "$seven" "$T/m8.eml" <<'PY' || fail "downgraded message"
import email, email.policy, sys
raw = open(sys.argv[1], "rb").read()
assert all(b < 128 for b in raw), "8-bit bytes at the sink"
hdr, _, _ = raw.partition(b"\n\n")
assert b"BODY=8BITMIME" not in hdr, "BODY=8BITMIME sent to a server without 8BITMIME"
m = email.message_from_bytes(raw, policy=email.policy.default)
o = email.message_from_bytes(open(sys.argv[2], "rb").read(), policy=email.policy.default)
assert m["Content-Transfer-Encoding"] == "7bit", m["Content-Transfer-Encoding"]
got, want = list(m.iter_parts()), list(o.iter_parts())
assert got[0]["Content-Transfer-Encoding"] == "quoted-printable"
assert got[0].get_content() == want[0].get_content(), (got[0].get_content(), want[0].get_content())
assert got[1]["Content-Transfer-Encoding"] == "base64"
assert got[1].get_content() == want[1].get_content()
PY
    pass "no 8BITMIME at the server: 8bit text converted to quoted-printable, 7-bit clean, decodes to the original"
    nobody=$(grep -l 'X-Rcpt-Args: <u@nobody.test>' "$T"/s7/*) || fail "message without BODY= at the sink"
    $PY -c 'import sys; sys.exit(any(b > 127 for b in open(sys.argv[1], "rb").read()))' "$nobody" ||
        fail "8-bit content without BODY=8BITMIME: not converted"
    grep -q '^Content-Transfer-Encoding: quoted-printable' "$nobody" || fail "no quoted-printable part"
    pass "8-bit content without BODY=8BITMIME: converted as well"
    # (no SIZE=: smtp-sink announces none, and Postfix sends it only then)
    grep -q '^X-Mail-Args: <alice@local.test> BODY=8BITMIME' "$eight" || fail "BODY=8BITMIME to the 8BITMIME server"
    grep -q 'Grüße aus Köln' "$eight" && grep -q '^Content-Transfer-Encoding: 8bit' "$eight" ||
        fail "8-bit message unchanged for the 8BITMIME server"
    pass "8BITMIME at the server: BODY=8BITMIME, content as is"
    grep -q 'Grüße aus Köln' "$raw" && ! grep -q 'BODY=8BITMIME' "$raw" ||
        fail "disable_mime_output_conversion = yes: 8-bit content as is"
    pass "disable_mime_output_conversion = yes: sent as is"
}

case_delay() {
    S1=$(free_port) S2=$(free_port)
    setup "smtp_data_done_timeout = 2s"
    route slow.test "smtp:[127.0.0.1]:$S1"
    route ok.test "smtp:[127.0.0.1]:$S2"
    S3=$(free_port)
    transport helo2 -o smtp_helo_timeout=2s
    route ehlo.test "helo2:[127.0.0.1]:$S3"
    sink slow "127.0.0.1:$S1" -W .:5
    # -p: smtp-sink answers pipelined commands out of order while it delays one
    sink ok "127.0.0.1:$S2" -p -W RCPT:1 -W .:1
    sink ehlo "127.0.0.1:$S3" -W EHLO:5
    mta_start
    send alice@local.test 1 u@slow.test >/dev/null || fail "send slow"
    send alice@local.test 1 u@ok.test >/dev/null || fail "send ok"
    send alice@local.test 1 u@ehlo.test >/dev/null || fail "send ehlo"
    wait_log "to=<u@ok\.test>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:$S2, $LOGRE, dsn=2\.0\.0, status=sent" 1 15
    pass "delays within the limits (1 s at RCPT and at end of data): sent"
    wait_log "to=<u@slow\.test>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:$S1, $LOGRE, dsn=4\.4\.2, status=deferred \(conversation with 127\.0\.0\.1\[127\.0\.0\.1\] timed out while sending end of data -- message may be sent more than once\)$" 1 15
    d=$(grep -E "to=<u@slow\.test>.*status=deferred" "$T/maillog" | sed -E 's/.*delays=[0-9.]+\/[0-9.]+\/[0-9.]+\/([0-9.]+),.*/\1/' | head -1)
    $PY -c "import sys; d=float(sys.argv[1]); sys.exit(0 if 1.8 <= d < 4.5 else 1)" "$d" ||
        fail "the end-of-data wait took $d s, want about smtp_data_done_timeout (2 s)"
    pass "5 s delay after end of data > smtp_data_done_timeout 2s: deferred, Postfix's text (waited $d s)"
    wait_log "to=<u@ehlo\.test>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:$S3, $LOGRE, dsn=4\.4\.2, status=deferred \(conversation with 127\.0\.0\.1\[127\.0\.0\.1\] timed out while performing the EHLO handshake\)$" 1 15
    [ "$(sink_count ehlo)" = 0 ] || fail "mail at the slow EHLO sink"
    pass "5 s delay at EHLO > smtp_helo_timeout 2s: deferred, Postfix's text"
}

# tls_setup LEVEL [main.cf lines]: certificates, a Postfix with STARTTLS
# on $PB (certificate for mx.tls.test from the test CA), Postern with
# smtp_tls_security_level = LEVEL and smtp_tls_loglevel = 1
tls_setup() {
    need_postfix
    local level=$1
    shift
    setup "smtp_tls_security_level = $level" "smtp_tls_loglevel = 1"
    printf '%s\n' "${@//@T@/$T}" >> "$T/etc/main.cf"
    certs
    PB=$(free_port)
    peer_start "$T/pf" "$PB" "smtpd_tls_security_level = may" \
        "smtpd_tls_cert_file = $T/pki/server.pem" \
        "smtpd_tls_key_file = $T/pki/server.key" "smtpd_tls_loglevel = 1"
}

# pf_sent DOMAIN: Postfix delivered u@DOMAIN to its Maildir
pf_sent() {
    pf_wait_log "$T/pf" "postfix/virtual\[[0-9]+\]: [0-9A-F]+: to=<u@${1//./\\.}>, relay=virtual, .*status=sent \(delivered to maildir\)"
}

TLSINFO='TLSv1\.[23] with cipher [A-Z0-9_-]+ \([0-9]+/[0-9]+ bits\) key-exchange [A-Za-z0-9]+ server-signature ECDSA \(prime256v1\) server-digest SHA256'

case_tls_may() {
    tls_setup may
    transport mayca -o smtp_tls_CAfile=$T/pki/ca.pem
    S1=$(free_port)
    sink plain "127.0.0.1:$S1"
    route a.pf.test "smtp:[127.0.0.1]:$PB"
    route b.pf.test "mayca:[127.0.0.1]:$PB"
    route c.pf.test "smtp:[127.0.0.1]:$S1"
    mta_start
    for d in a b c; do send alice@local.test 1 "u@$d.pf.test" >/dev/null || fail "send $d"; done
    wait_log "postfix/smtp\[[0-9]+\]: Untrusted TLS connection established to 127\.0\.0\.1\[127\.0\.0\.1\]:$PB: $TLSINFO$"
    wait_log "to=<u@a\.pf\.test>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:$PB, $LOGRE, dsn=2\.0\.0, status=sent \(250 2\.0\.0 Ok: queued as [0-9A-F]+\)$"
    pf_sent a.pf.test
    pf_wait_log "$T/pf" "Anonymous TLS connection established from unknown\[127\.0\.0\.1\]: TLSv1\.3" 2
    pass "may, STARTTLS offered: encrypted, Postfix's \"Untrusted TLS connection established to host[addr]:port: TLSv1.3 with cipher ...\" line, delivered"
    wait_log "postfix/smtp\[[0-9]+\]: Trusted TLS connection established to 127\.0\.0\.1\[127\.0\.0\.1\]:$PB: $TLSINFO$"
    wait_log "to=<u@b\.pf\.test>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:$PB, .*status=sent"
    pf_sent b.pf.test
    pass "may with smtp_tls_CAfile of the issuing CA: \"Trusted TLS connection\""
    wait_log "to=<u@c\.pf\.test>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:$S1, .*status=sent"
    wait_sink plain 1
    [ "$(count_log "TLS connection established to 127\.0\.0\.1\[127\.0\.0\.1\]:$S1")" = 0 ] || fail "TLS with smtp-sink?"
    pass "may, no STARTTLS offered (smtp-sink): sent in plain text"
}

case_tls_encrypt() {
    tls_setup encrypt
    S1=$(free_port)
    sink plain "127.0.0.1:$S1"
    route a.pf.test "smtp:[127.0.0.1]:$PB"
    route c.pf.test "smtp:[127.0.0.1]:$S1"
    transport nocafile -o smtp_tls_CAfile=/nonexistent/ca.pem
    route b.pf.test "nocafile:[127.0.0.1]:$PB"
    mta_start
    send alice@local.test 1 u@c.pf.test >/dev/null || fail "send c"
    send alice@local.test 1 u@a.pf.test >/dev/null || fail "send a"
    wait_log "to=<u@c\.pf\.test>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:$S1, $LOGRE, dsn=4\.7\.4, status=deferred \(TLS is required, but was not offered by host 127\.0\.0\.1\[127\.0\.0\.1\]\)$"
    [ "$(sink_count plain)" = 0 ] || fail "a message went to the server without STARTTLS"
    pass "encrypt, server without STARTTLS: deferred with Postfix's text, nothing sent"
    wait_log "Untrusted TLS connection established to 127\.0\.0\.1\[127\.0\.0\.1\]:$PB: $TLSINFO$"
    wait_log "to=<u@a\.pf\.test>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:$PB, .*status=sent"
    pf_sent a.pf.test
    pass "encrypt, STARTTLS offered: sent encrypted (no certificate check)"
    send alice@local.test 1 u@b.pf.test >/dev/null || fail "send b"
    wait_log "postfix/smtp\[[0-9]+\]: cannot load Certification Authority data, CAfile=\"/nonexistent/ca\.pem\": disabling TLS support$"
    wait_log "to=<u@b\.pf\.test>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:$PB, $LOGRE, dsn=4\.7\.5, status=deferred \(TLS is required, but our TLS engine is unavailable\)$"
    [ -z "$(ls "$T/pf/vmail/b.pf.test/new" 2>/dev/null)" ] || fail "mail went in plain text"
    pass "encrypt with an unreadable smtp_tls_CAfile: deferred, never in plain text (Postfix's lines)"
}

case_tls_verify() {
    tls_setup verify "smtp_tls_CAfile = @T@/pki/ca.pem"
    cat > "$T/dns.zone" <<Z
mx.tls.test. A 127.0.0.1
wrong.tls.test. A 127.0.0.1
Z
    unbound_start
    route a.pf.test "smtp:[mx.tls.test]:$PB"
    route b.pf.test "smtp:[wrong.tls.test]:$PB"
    route c.pf.test "smtp:[127.0.0.1]:$PB"
    mta_start
    for d in a b c; do send alice@local.test 1 "u@$d.pf.test" >/dev/null || fail "send $d"; done
    wait_log "Verified TLS connection established to mx\.tls\.test\[127\.0\.0\.1\]:$PB: $TLSINFO$"
    wait_log "to=<u@a\.pf\.test>, relay=mx\.tls\.test\[127\.0\.0\.1\]:$PB, .*status=sent"
    pf_sent a.pf.test
    pass "verify, the right name and CA: \"Verified TLS connection\", delivered"
    wait_log "postfix/smtp\[[0-9]+\]: server certificate verification failed for wrong\.tls\.test\[127\.0\.0\.1\]:$PB: num=62:hostname mismatch$"
    wait_log "Untrusted TLS connection established to wrong\.tls\.test\[127\.0\.0\.1\]:$PB: "
    wait_log "to=<u@b\.pf\.test>, relay=wrong\.tls\.test\[127\.0\.0\.1\]:$PB, $LOGRE, dsn=4\.7\.5, status=deferred \(Server certificate not verified\)$"
    pass "verify, another name than the certificate's: deferred, Postfix's lines"
    wait_log "server certificate verification failed for 127\.0\.0\.1\[127\.0\.0\.1\]:$PB: num=64:IP address mismatch$"
    wait_log "to=<u@c\.pf\.test>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:$PB, $LOGRE, dsn=4\.7\.5, status=deferred \(Server certificate not verified\)$"
    pass "verify, an IP nexthop: IP address mismatch, deferred"
    sleep 0.5
    [ -z "$(ls "$T/pf/vmail/b.pf.test/new" "$T/pf/vmail/c.pf.test/new" 2>/dev/null)" ] || fail "unverified mail reached Postfix"
}

case_tls_secure() {
    tls_setup secure "smtp_tls_CAfile = @T@/pki/ca.pem"
    transport otherca -o "smtp_tls_CAfile=$T/pki/other-ca.pem"
    transport literal -o smtp_tls_secure_cert_match=mx.tls.test
    cat > "$T/dns.zone" <<Z
mx.tls.test. A 127.0.0.1
Z
    unbound_start
    route a.pf.test "smtp:[mx.tls.test]:$PB"
    route b.pf.test "otherca:[mx.tls.test]:$PB"
    route c.pf.test "literal:[127.0.0.1]:$PB"
    mta_start
    for d in a b c; do send alice@local.test 1 "u@$d.pf.test" >/dev/null || fail "send $d"; done
    wait_log "Verified TLS connection established to mx\.tls\.test\[127\.0\.0\.1\]:$PB: $TLSINFO$"
    wait_log "to=<u@a\.pf\.test>, relay=mx\.tls\.test\[127\.0\.0\.1\]:$PB, .*status=sent"
    pf_sent a.pf.test
    pass "secure, nexthop name and CA right: verified, delivered"
    wait_log "certificate verification failed for mx\.tls\.test\[127\.0\.0\.1\]:$PB: untrusted issuer /CN=Postern Test CA$"
    wait_log "to=<u@b\.pf\.test>, relay=mx\.tls\.test\[127\.0\.0\.1\]:$PB, $LOGRE, dsn=4\.7\.5, status=deferred \(Server certificate not verified\)$"
    pass "secure, another CA: untrusted issuer, deferred"
    wait_log "Verified TLS connection established to 127\.0\.0\.1\[127\.0\.0\.1\]:$PB: "
    wait_log "to=<u@c\.pf\.test>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:$PB, .*status=sent"
    pf_sent c.pf.test
    pass "secure, smtp_tls_secure_cert_match = mx.tls.test with an IP nexthop: verified, delivered"
}

case_tls_sni() {
    S1=$(free_port) S2=$(free_port) S3=$(free_port)
    setup "smtp_tls_security_level = may"
    certs
    cat > "$T/dns.zone" <<Z
mx.tls.test. A 127.0.0.1
Z
    unbound_start
    transport literal -o smtp_tls_servername=sni.example.test
    transport nexthop -o smtp_tls_servername=nexthop
    route a.test "smtp:[mx.tls.test]:$S1"
    route b.test "literal:[127.0.0.1]:$S2"
    route c.test "nexthop:[mx.tls.test]:$S3"
    pysink none 127.0.0.1 "$S1" "$T/pki/server.pem" "$T/pki/server.key"
    pysink lit 127.0.0.1 "$S2" "$T/pki/server.pem" "$T/pki/server.key"
    pysink nh 127.0.0.1 "$S3" "$T/pki/server.pem" "$T/pki/server.key"
    mta_start
    for d in a b c; do send alice@local.test 1 "u@$d.test" >/dev/null || fail "send $d"; done
    wait_pylog none 1
    wait_pylog lit 1
    wait_pylog nh 1
    pylog none | grep -q ' sni=none$' || { pylog none; fail "default: TLS without SNI"; }
    pass "smtp_tls_servername empty (default): TLS, no SNI, as Postfix"
    pylog lit | grep -q ' sni=sni\.example\.test$' || { pylog lit; fail "literal SNI"; }
    pass "smtp_tls_servername = sni.example.test: sent as SNI"
    pylog nh | grep -q ' sni=mx\.tls\.test$' || { pylog nh; fail "nexthop SNI"; }
    pass "smtp_tls_servername = nexthop: the nexthop name"
}

# messages: $T/msg/m1..m3 (dot lines and a 990-octet line; 8-bit UTF-8
# text; a 300 KB body)
make_messages() {
    mkdir -p "$T/msg"
    $PY - "$T/msg" <<'PY'
import os, sys
d = sys.argv[1]
hdr = "From: <alice@local.test>\nSubject: peer test %d\nX-Test-Id: m%d\n"
open(os.path.join(d, "m1"), "w").write(
    (hdr % (1, 1)) + "\n.\n..two dots\n.leading\n" + "L" * 990 + "\nend\n")
open(os.path.join(d, "m2"), "wb").write(
    ((hdr % (2, 2)) + "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
     "Content-Transfer-Encoding: 8bit\n\nGrüße, ½ €, 日本語\n").encode())
open(os.path.join(d, "m3"), "w").write(
    (hdr % (3, 3)) + "\n" + "".join("line %06d %s\n" % (i, "x" * 60) for i in range(4500)))
PY
}

# body_sum FILE: SHA-256 of the body (after the first blank line), line
# ends normalised to LF
body_sum() {
    $PY - "$1" <<'PY'
import hashlib, sys
raw = open(sys.argv[1], "rb").read().replace(b"\r\n", b"\n")
print(hashlib.sha256(raw.split(b"\n\n", 1)[1]).hexdigest())
PY
}

# check_bodies DIR: each message in DIR (X-Test-Id header) has the body
# of the original in $T/msg
check_bodies() {
    local f id n=0
    for f in "$1"/*; do
        id=$(grep -m1 '^X-Test-Id: ' "$f" | awk '{print $2}')
        [ -n "$id" ] || fail "message $f without X-Test-Id"
        [ "$(body_sum "$f")" = "$(body_sum "$T/msg/$id")" ] || fail "body of $id changed on the way ($f)"
        n=$((n + 1))
    done
    [ "$n" = 3 ] || fail "$n messages in $1, want 3"
}

case_postfix_out() {
    need_postfix
    setup
    PB=$(free_port)
    peer_start "$T/pf" "$PB"
    route pf.test "smtp:[127.0.0.1]:$PB"
    make_messages
    mta_start
    sendfile alice@local.test u@pf.test "$T/msg/m1" || fail "send m1"
    sendfile alice@local.test u@pf.test "$T/msg/m2" BODY=8BITMIME || fail "send m2"
    sendfile alice@local.test u@pf.test "$T/msg/m3" || fail "send m3"
    wait_log "postfix/smtp\[[0-9]+\]: [0-9A-F]+: to=<u@pf\.test>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:$PB, $LOGRE, dsn=2\.0\.0, status=sent \(250 2\.0\.0 Ok: queued as [0-9A-F]+\)$" 3
    pf_wait_log "$T/pf" "postfix/virtual\[[0-9]+\]: [0-9A-F]+: to=<u@pf\.test>, relay=virtual, .*status=sent \(delivered to maildir\)$" 3
    pass "Postern -> Postfix: 3 messages, status=sent on both sides"
    # each queue ID Postfix's smtpd gave us was delivered by virtual(8)
    for q in $(grep -oE 'status=sent \(250 2\.0\.0 Ok: queued as [0-9A-F]+\)' "$T/maillog" | grep -oE '[0-9A-F]+\)$' | tr -d ')'); do
        grep -qE "postfix/virtual\[[0-9]+\]: $q: to=<u@pf\.test>, .*status=sent" "$T/pf/maillog" || fail "Postfix queue ID $q not delivered"
    done
    check_bodies "$T/pf/vmail/pf.test/new"
    pass "bodies intact at the Postfix Maildir (SHA-256 per message: dot lines, 990-octet line, 8-bit text, 300 KB)"
}

case_postfix_in() {
    need_postfix
    setup
    PA=$(free_port)
    peer_start "$T/pf" "$PA" "relayhost = [127.0.0.1]:$PORT" "default_transport = smtp" \
        "relay_transport = smtp" "virtual_mailbox_domains ="
    make_messages
    mta_start
    PORT=$PA sendfile alice@local.test alice@local.test "$T/msg/m1" || fail "send m1 to Postfix"
    PORT=$PA sendfile alice@local.test alice@local.test "$T/msg/m2" BODY=8BITMIME || fail "send m2 to Postfix"
    PORT=$PA sendfile alice@local.test alice@local.test "$T/msg/m3" || fail "send m3 to Postfix"
    pf_wait_log "$T/pf" "postfix/smtp\[[0-9]+\]: [0-9A-F]+: to=<alice@local\.test>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:$PORT, $LOGRE, dsn=2\.0\.0, status=sent \(250 2\.0\.0 Ok: queued as [0-9A-F]+\)$" 3
    wait_log "postfix/local\[[0-9]+\]: [0-9A-F]+: to=<alice@local\.test>, relay=local, .*status=sent \(delivered to maildir\)$" 3
    pass "Postfix -> Postern: 3 messages, status=sent on both sides"
    for q in $(grep -oE 'status=sent \(250 2\.0\.0 Ok: queued as [0-9A-F]+\)' "$T/pf/maillog" | grep -oE '[0-9A-F]+\)$' | tr -d ')'); do
        grep -qE "postfix/local\[[0-9]+\]: $q: to=<alice@local\.test>, .*status=sent" "$T/maillog" || fail "Postern queue ID $q not delivered"
    done
    grep -qE "postfix/smtpd\[[0-9]+\]: [0-9A-F]+: client=.*\[127\.0\.0\.1\]" "$T/maillog" || fail "Postern smtpd client line"
    check_bodies "$T/mail/alice/new"
    pass "bodies intact in Postern's Maildir (SHA-256 per message)"
}

# pylog NAME: the pysink log lines
pylog() { cat "$T/$1/log" 2>/dev/null; }
wait_pylog() { # NAME COUNT [SECONDS]: COUNT transactions logged
    local i
    for i in $(seq $((${3:-10} * 10))); do
        [ "$(pylog "$1" | wc -l)" -ge "$2" ] && return 0
        sleep 0.1
    done
    tail -n 20 "$T/maillog" >&2
    fail "pysink $1 has $(pylog "$1" | wc -l) transactions, want $2"
}

case_bind() {
    S=$(free_port) S6=$(free_port)
    setup "smtp_bind_address = 127.0.0.2"
    # an address this host does not have (checked below): bind fails
    NOADDR=198.51.100.254
    transport unbound -o smtp_bind_address=$NOADDR
    transport enforce -o smtp_bind_address=$NOADDR -o smtp_bind_address_enforce=yes
    transport v6 -o inet_protocols=ipv6 -o smtp_bind_address6=::1
    route b.test "smtp:[127.0.0.1]:$S"
    route u.test "unbound:[127.0.0.1]:$S"
    route e.test "enforce:[127.0.0.1]:$S"
    route v6.test "v6:[::1]:$S6"
    sink sink "127.0.0.1:$S"
    pysink six ::1 "$S6"
    mta_start
    send alice@local.test 1 u@b.test >/dev/null || fail "send b"
    wait_log "to=<u@b\.test>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:$S, .*status=sent"
    wait_sink sink 1
    grep -q '^X-Client-Addr: 127\.0\.0\.2$' "$T"/sink/* || { grep X-Client "$T"/sink/*; fail "smtp_bind_address: the sink saw another source"; }
    pass "smtp_bind_address = 127.0.0.2: the server sees 127.0.0.2"
    send alice@local.test 1 u@v6.test >/dev/null || fail "send v6"
    wait_log "to=<u@v6\.test>, relay=.*:$S6, .*status=sent"
    pylog six | grep -q 'peer=::1 ' || fail "IPv6 peer"
    pass "inet_protocols = ipv6, smtp_bind_address6 = ::1: sent to [::1] from ::1"
    if ip -o addr 2>/dev/null | grep -q " $NOADDR/"; then
        echo "skip: this host has $NOADDR: the bind-failure steps cannot run"
        exit 77
    fi
    send alice@local.test 1 u@u.test >/dev/null || fail "send u"
    wait_log "warning: smtp_connect_addr: bind $NOADDR: Cannot assign requested address"
    wait_log "to=<u@u\.test>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:$S, .*status=sent"
    pass "smtp_bind_address not on this host: Postfix's warning, sent without it"
    send alice@local.test 1 u@e.test >/dev/null || fail "send e"
    wait_log "to=<u@e\.test>, relay=none, $LOGRE, dsn=4\.4\.0, status=deferred \(server configuration error\)$"
    pass "... with smtp_bind_address_enforce = yes: deferred (4.4.0 server configuration error)"
}

case_lookup_native() {
    # no resolver answers (the fence above): only native lookups work
    S=$(free_port)
    setup "inet_protocols = ipv4"
    transport native -o smtp_host_lookup=native
    transport nodns -o smtp_dns_support_level=disabled
    route n.test "native:[localhost]:$S"
    route d.test "nodns:[localhost]:$S"
    route dns.test "smtp:[localhost]:$S"
    sink sink "127.0.0.1:$S"
    mta_start
    for d in n d dns; do send alice@local.test 1 "u@$d.test" >/dev/null || fail "send $d"; done
    wait_log "to=<u@n\.test>, relay=localhost\[127\.0\.0\.1\]:$S, $LOGRE, dsn=2\.0\.0, status=sent"
    pass "smtp_host_lookup = native: localhost from the hosts file, sent"
    wait_log "to=<u@d\.test>, relay=localhost\[127\.0\.0\.1\]:$S, $LOGRE, dsn=2\.0\.0, status=sent"
    pass "smtp_dns_support_level = disabled: native lookup, sent"
    wait_log "to=<u@dns\.test>, relay=none, $LOGRE, dsn=4\.4\.3, status=deferred \(Host or domain name not found\. Name service error for name=localhost type=A: Host not found, try again\)$" 1 20
    pass "smtp_host_lookup = dns without a working resolver: deferred (4.4.3)"
}

case_lookup_dns() {
    S=$(free_port)
    setup
    transport dnssec -o smtp_dns_support_level=dnssec
    transport v4 -o inet_protocols=ipv4
    transport v6 -o inet_protocols=ipv6
    cat > "$T/dns.zone" <<Z
mxd.test. MX 10 mx.mxd.test.
mx.mxd.test. A 127.0.0.1
dual.test. A 127.0.0.1
dual.test. AAAA ::1
Z
    unbound_start
    route mxd.test "smtp:mxd.test:$S"
    route sec.test "dnssec:mxd.test:$S"
    route four.test "v4:[dual.test]:$S"
    route six.test "v6:[dual.test]:$S"
    pysink p4 127.0.0.1 "$S"
    pysink p6 ::1 "$S"
    mta_start
    for d in mxd sec four six; do send alice@local.test 1 "u@$d.test" >/dev/null || fail "send $d"; done
    wait_log "to=<u@mxd\.test>, relay=mx\.mxd\.test\[127\.0\.0\.1\]:$S, .*status=sent"
    wait_log "to=<u@sec\.test>, relay=mx\.mxd\.test\[127\.0\.0\.1\]:$S, .*status=sent"
    pass "smtp_dns_support_level enabled and dnssec: MX lookup through the resolver, sent"
    wait_log "to=<u@four\.test>, relay=dual\.test\[127\.0\.0\.1\]:$S, .*status=sent"
    wait_log "to=<u@six\.test>, relay=dual\.test\[::1\]:$S, .*status=sent"
    [ "$(pylog p4 | grep -c 'mail=<alice@local.test>')" = 3 ] && [ "$(pylog p6 | wc -l)" = 1 ] ||
        { pylog p4; pylog p6; fail "inet_protocols: where the mail went"; }
    pass "inet_protocols = ipv4 / ipv6 with an A+AAAA host: the right family"
}

case_rcptlimit() {
    S=$(free_port)
    setup "smtp_destination_recipient_limit = 2" "relayhost = [127.0.0.1]:$S"
    transport big
    route big.test "big:[127.0.0.1]:$S"
    pysink p 127.0.0.1 "$S"
    mta_start
    send alice@local.test 1 x1@example.net x2@example.net x3@example.net x4@example.net x5@example.net >/dev/null || fail "send"
    send alice@local.test 1 y1@big.test y2@big.test y3@big.test y4@big.test y5@big.test >/dev/null || fail "send big"
    wait_log "to=<x[1-5]@example\.net>, .*status=sent" 5
    wait_log "to=<y[1-5]@big\.test>, .*status=sent" 5
    wait_pylog p 4
    [ "$(pylog p | grep -c 'rcpts=5')" = 1 ] || { pylog p; fail "big: one transaction of 5 recipients"; }
    [ "$(pylog p | grep -v 'rcpts=5' | sed 's/.*rcpts=\([0-9]*\).*/\1/' | sort | tr '\n' ' ')" = "1 2 2 " ] ||
        { pylog p; fail "smtp_destination_recipient_limit = 2: transactions of 2, 2, 1 recipients"; }
    pass "smtp_destination_recipient_limit = 2: 5 recipients in transactions of 2, 2, 1 (another transport: one of 5)"
}

case_reuse() {
    S=$(free_port) S2=$(free_port)
    setup "smtp_connection_reuse_count_limit = 2"
    # one agent process per transport (maxproc 1), so that every request
    # reaches the agent that holds the open connection
    echo "one unix - - n - 1 smtp" >> "$T/etc/master.cf"
    echo "nolimit unix - - n - 1 smtp -o smtp_connection_reuse_count_limit=0" >> "$T/etc/master.cf"
    route example.net "one:[127.0.0.1]:$S"
    route example.com "nolimit:[127.0.0.1]:$S2"
    pysink p 127.0.0.1 "$S"
    pysink q 127.0.0.1 "$S2"
    mta_start
    send alice@local.test 12 x@example.net >/dev/null || fail "send"
    send alice@local.test 12 x@example.com >/dev/null || fail "send"
    wait_log "to=<x@example\.net>, .*status=sent" 12
    wait_log "to=<x@example\.com>, .*status=sent" 12
    wait_pylog p 12
    wait_pylog q 12
    per_conn() { pylog "$1" | sed 's/^conn=\([0-9]*\) .*/\1/' | sort | uniq -c | awk '{print $1}' | sort -n | tr '\n' ' '; }
    max=$(per_conn p | awk '{print $NF}')
    [ "$max" = 3 ] || { pylog p; fail "transactions per connection: $(per_conn p), want at most 3 (2 reuses) and some reuse"; }
    pass "smtp_connection_reuse_count_limit = 2: 12 messages, transactions per connection: $(per_conn p)"
    maxq=$(per_conn q | awk '{print $NF}')
    [ "$maxq" -gt 3 ] || { pylog q; fail "no limit: transactions per connection $(per_conn q)"; }
    pass "smtp_connection_reuse_count_limit = 0 (no limit): transactions per connection: $(per_conn q)"
}

case "$CASE" in
8bitmime | delay | bind | lookup_native | lookup_dns | rcptlimit | reuse | postfix_out | postfix_in | tls_sni | tls_may | tls_encrypt | tls_verify | tls_secure) "case_$CASE" ;;
*) echo "unknown case $CASE" >&2; exit 2 ;;
esac
