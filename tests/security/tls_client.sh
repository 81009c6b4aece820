#!/usr/bin/env bash
# tls_client.sh - the smtp client applies Postfix's TLS protocol and
# cipher parameters (issue 15, finding 12).
#
# The attack: a downgrade by the receiving side (or a man in the middle
# that can only offer TLS 1.2, or a weak cipher). With
# smtp_tls_security_level = encrypt and smtp_tls_mandatory_protocols =
# >=TLSv1.3 the client must not deliver to a server that speaks at most
# TLS 1.2: the mail stays deferred with a TLS error. Before the fix the
# client ignored the parameter (floor hard-coded at TLS 1.0) and
# delivered over TLS 1.2.
#
# The peer is a small Python SMTP server on loopback with STARTTLS and
# ssl maximum_version TLSv1_2 (one instance offers only one cipher).
# Transports (master.cf -o), one per destination domain:
#   a.test  encrypt, smtp_tls_mandatory_protocols = >=TLSv1.3: deferred
#   b.test  encrypt, mandatory >=TLSv1.2 (opportunistic list >=TLSv1.3
#           does not apply at encrypt): delivered over TLS 1.2
#   c.test  may, smtp_tls_protocols = >=TLSv1.3: the handshake fails, and
#           as in Postfix the mail goes in plain text (may never defers
#           for TLS)
#   d.test  encrypt, smtp_tls_mandatory_exclude_ciphers = the only cipher
#           the server has: deferred
#   e.test  encrypt, smtp_tls_exclude_ciphers = another cipher: delivered
BIN=$1
. "$(dirname "$0")/lib.sh"
command -v openssl >/dev/null || { echo "skip: openssl not installed"; exit 77; }

AES256=ECDHE-ECDSA-AES256-GCM-SHA384
CHACHA=ECDHE-ECDSA-CHACHA20-POLY1305

sec_setup "transport_maps = texthash:@T@/etc/transport" \
    "smtp_tls_security_level = encrypt" "smtp_tls_loglevel = 1"
sed -i "s|@T@|$T|g" "$T/etc/main.cf"
S1=$(free_port)
S2=$(free_port)
cat >> "$T/etc/master.cf" <<MC
t13  unix - - n - - smtp -o smtp_tls_security_level=encrypt -o smtp_tls_mandatory_protocols=>=TLSv1.3
t12  unix - - n - - smtp -o smtp_tls_security_level=encrypt -o smtp_tls_mandatory_protocols=>=TLSv1.2 -o smtp_tls_protocols=>=TLSv1.3
m13  unix - - n - - smtp -o smtp_tls_security_level=may -o smtp_tls_protocols=>=TLSv1.3
cx   unix - - n - - smtp -o smtp_tls_security_level=encrypt -o smtp_tls_mandatory_exclude_ciphers=$AES256
cy   unix - - n - - smtp -o smtp_tls_security_level=encrypt -o smtp_tls_exclude_ciphers=$CHACHA
MC
cat > "$T/etc/transport" <<TR
a.test t13:[127.0.0.1]:$S1
b.test t12:[127.0.0.1]:$S1
c.test m13:[127.0.0.1]:$S1
d.test cx:[127.0.0.1]:$S2
e.test cy:[127.0.0.1]:$S2
TR
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -subj /CN=peer.example.test -days 2 -keyout "$T/key.pem" -out "$T/cert.pem" \
    >/dev/null 2>&1 || fail "openssl req"

# the TLS-1.2-only SMTP server: one line per message in $T/NAME.log
# ("rcpt=<...> tls=VERSION CIPHER" or "tls=none")
cat > "$T/srv.py" <<'PY'
import socket, ssl, sys, threading
port, log, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
ciphers = sys.argv[5] if len(sys.argv) > 5 else None
def serve(c):
    f = c.makefile("rwb", buffering=0)
    tls, rcpt = "none", ""
    f.write(b"220 tls12.example.test ESMTP\r\n")
    while True:
        line = f.readline()
        if not line:
            return
        cmd = line.decode("latin-1").rstrip("\r\n")
        verb = cmd.split(" ", 1)[0].upper()
        if verb == "EHLO":
            f.write(b"250-tls12.example.test\r\n" + (b"250-STARTTLS\r\n" if tls == "none" else b"") + b"250 8BITMIME\r\n")
        elif verb == "STARTTLS":
            f.write(b"220 2.0.0 Ready to start TLS\r\n")
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.maximum_version = ssl.TLSVersion.TLSv1_2
            if ciphers:
                ctx.set_ciphers(ciphers)
            ctx.load_cert_chain(cert, key)
            try:
                c = ctx.wrap_socket(c, server_side=True)
            except (ssl.SSLError, OSError) as e:
                with open(log + ".err", "a") as l:
                    l.write("handshake: %s\n" % e)
                return
            tls = "%s %s" % (c.version(), c.cipher()[0])
            f = c.makefile("rwb", buffering=0)
        elif verb == "RCPT":
            rcpt = cmd[8:]
            f.write(b"250 2.1.5 Ok\r\n")
        elif verb == "DATA":
            f.write(b"354 go ahead\r\n")
            while f.readline() not in (b".\r\n", b""):
                pass
            with open(log, "a") as l:
                l.write("rcpt=%s tls=%s\n" % (rcpt, tls))
            f.write(b"250 2.0.0 Ok: queued\r\n")
        elif verb == "QUIT":
            f.write(b"221 2.0.0 Bye\r\n")
            return
        else:
            f.write(b"250 2.0.0 Ok\r\n")
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port))
s.listen(16)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
$PY "$T/srv.py" "$S1" "$T/s1.log" "$T/cert.pem" "$T/key.pem" 2>>"$T/s1.stderr" &
PIDS+=($!)
$PY "$T/srv.py" "$S2" "$T/s2.log" "$T/cert.pem" "$T/key.pem" "$AES256" 2>>"$T/s2.stderr" &
PIDS+=($!)
trap 'stop_pids; sec_cleanup' EXIT
touch "$T/s1.log" "$T/s2.log"
for p in "$S1" "$S2"; do
    for _ in $(seq 50); do
        $PY -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' "$p" 2>/dev/null && break
        sleep 0.1
    done
done
mta_start

$PY - "$PORT" <<'PY' || fail "submit"
import smtplib, sys
with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=20) as s:
    for d in "abcde":
        s.sendmail("sender@example.com", ["u@%s.test" % d],
                   "Subject: to %s\r\n\r\nsecret\r\n" % d)
PY

LOGRE='delay=[0-9.]+, delays=[0-9.]+/[0-9.]+/[0-9.]+/[0-9.]+'
# b.test: TLS 1.2 allowed at encrypt by the mandatory list
wait_log "to=<u@b\.test>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:$S1, $LOGRE, dsn=2\.0\.0, status=sent" 1 20
grep -q '^rcpt=<u@b.test> tls=TLSv1.2 ' "$T/s1.log" || { cat "$T/s1.log"; fail "b.test not over TLS 1.2"; }
pass "encrypt, smtp_tls_mandatory_protocols = >=TLSv1.2 (smtp_tls_protocols = >=TLSv1.3 unused): delivered over TLS 1.2"
# a.test: deferred, never delivered
wait_log "to=<u@a\.test>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:$S1, $LOGRE, dsn=4\.7\.5, status=deferred \(Cannot start TLS: TLS handshake failed: .*\)" 1 20
pass "encrypt, smtp_tls_mandatory_protocols = >=TLSv1.3 against a TLS 1.2 server: deferred with a TLS error"
# c.test: may falls back to plain text, as Postfix does
wait_log "to=<u@c\.test>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:$S1, $LOGRE, dsn=2\.0\.0, status=sent" 1 20
grep -q '^rcpt=<u@c.test> tls=none$' "$T/s1.log" || { cat "$T/s1.log"; fail "c.test: TLS 1.2 used although smtp_tls_protocols = >=TLSv1.3"; }
pass "may, smtp_tls_protocols = >=TLSv1.3: no TLS 1.2 session (plain text, as Postfix)"
# d.test: the only cipher the server has is excluded
wait_log "to=<u@d\.test>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:$S2, $LOGRE, dsn=4\.7\.5, status=deferred \(Cannot start TLS: TLS handshake failed: .*\)" 1 20
pass "encrypt, smtp_tls_mandatory_exclude_ciphers = $AES256 (the server's only cipher): deferred"
wait_log "to=<u@e\.test>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:$S2, $LOGRE, dsn=2\.0\.0, status=sent" 1 20
grep -q "^rcpt=<u@e.test> tls=TLSv1.2 $AES256\$" "$T/s2.log" || { cat "$T/s2.log"; fail "e.test"; }
pass "encrypt, an exclusion of another cipher: delivered with $AES256"
grep -q 'rcpt=<u@a.test>\|rcpt=<u@d.test>' "$T/s1.log" "$T/s2.log" && fail "a deferred message reached the server"
pass "nothing reached the server that the policy forbids"
