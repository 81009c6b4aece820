#!/bin/bash
# mta_haproxy - smtpd_upstream_proxy_protocol = haproxy (issue 21): the
# PROXY header (versions 1 and 2) names the client; logging and the
# client restrictions see that client, not the proxy. Case "basic":
# scripted headers (TCP4, TCP6, UNKNOWN, v2 PROXY and LOCAL, malformed,
# none within smtpd_upstream_proxy_timeout) and Debian's real haproxy in
# front (send-proxy and send-proxy-v2, the client on 127.0.0.2). Case
# "postfix" (root): the scripted headers to a real Postfix 3.7 with the
# same settings: the same replies and log lines.
#
# usage: mta_haproxy.sh POSTERN CASE
set -u
BIN=$1
CASE=$2
. "$(dirname "$0")/mta_lib.sh"
. "$(dirname "$0")/postfix_peer.sh"

PP=$(free_port)
SETTINGS=("smtpd_client_restrictions = check_client_access inline:{203.0.113.66=REJECT}"
    "smtpd_upstream_proxy_timeout = 2s")
# the postfix case compares with a Postfix peer, which listens on IPv4
# only (tests/postfix_peer.sh): so does Postern then, and TCP6 headers
# are refused by both
[ "$CASE" = postfix ] && SETTINGS+=("inet_protocols = ipv4")

# hdrs PORT: each scripted header on its own connection; prints "NAME:
# first reply line" (or "NAME: closed")
hdrs() {
    $PY - "$1" <<'PY'
import socket, struct, sys, time
port = int(sys.argv[1])
sig = b"\r\n\r\n\x00\r\nQUIT\n"
def v2(cmd, fam, body):
    return sig + bytes([0x20 | cmd, fam]) + struct.pack("!H", len(body)) + body
cases = [
    ("v1-tcp4", b"PROXY TCP4 203.0.113.7 198.51.100.25 40000 25\r\n"),
    ("v1-listed", b"PROXY TCP4 203.0.113.66 198.51.100.25 40001 25\r\n"),
    ("v1-tcp6", b"PROXY TCP6 2001:db8::5 2001:db8::25 40002 25\r\n"),
    ("v1-mapped", b"PROXY TCP6 ::ffff:203.0.113.8 ::ffff:198.51.100.25 40003 25\r\n"),
    ("v1-unknown", b"PROXY UNKNOWN\r\n"),
    ("v1-badaddr", b"PROXY TCP4 203.0.113.999 198.51.100.25 40004 25\r\n"),
    ("v1-badport", b"PROXY TCP4 203.0.113.9 198.51.100.25 040004 25\r\n"),
    ("v1-proto", b"PROXY UDP4 203.0.113.9 198.51.100.25 1 25\r\n"),
    ("not-proxy", b"EHLO client.example\r\n"),
    ("v2-tcp4", v2(1, 0x11, bytes([203, 0, 113, 10, 198, 51, 100, 25]) + struct.pack("!HH", 40010, 25))),
    ("v2-local", v2(0, 0x00, b"")),
    ("none", b""),
]
for name, data in cases:
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    if data:
        s.sendall(data)
    try:
        r = s.recv(4096).decode(errors="replace").split("\r\n")[0]
    except socket.timeout:
        r = "timeout"
    rcpt = ""
    if r.startswith("220"):
        f = s.makefile("rb")
        def reply():
            while True:
                l = f.readline().decode(errors="replace")
                if l[3:4] != "-":
                    return l.rstrip("\r\n")
        s.sendall(b"HELO client.example\r\n"); reply()
        s.sendall(b"MAIL FROM:<a@example.com>\r\n"); reply()
        s.sendall(b"RCPT TO:<alice@local.test>\r\n"); rcpt = " / " + reply()
        s.sendall(b"QUIT\r\n"); reply()
    print("%s: %s%s" % (name, r if r else "closed", rcpt), flush=True)
    s.close()
    time.sleep(0.2)
PY
}

# plines LOG: the connect/warning/reject lines, pids and ports out
plines() {
    grep -E 'connect from|warning: haproxy|reject: CONNECT' "$1" | grep -v 'disconnect' |
        sed -E 's/^.*\]: //; s/(NOQUEUE: reject: CONNECT from [^:]*):[0-9]+/\1/' 
}

mta_setup "${SETTINGS[@]}"
echo "127.0.0.1:$PP inet n - n - - smtpd -o smtpd_upstream_proxy_protocol=haproxy" >> "$T/etc/master.cf"
mta_start
hdrs "$PP" > "$T/replies"
cat "$T/replies"

case $CASE in
basic)
    want() { grep -qx -- "$1: $2" "$T/replies" || fail "$1: want '$2', got '$(grep "^$1:" "$T/replies")'"; }
    G="220 mx.example.test ESMTP Postern"
    E="421 4.3.0 mx.example.test Server local error"
    want v1-tcp4 "$G / 250 2.1.5 Ok"
    want v1-listed "$G / 554 5.7.1 <unknown\[203.0.113.66\]>: Client host rejected: Access denied"
    want v1-tcp6 "$G / 250 2.1.5 Ok"
    want v1-unknown "$E"
    want v1-badaddr "$E"
    want not-proxy "$E"
    want none "$E"
    want v2-tcp4 "$G / 250 2.1.5 Ok"
    want v2-local "$G / 250 2.1.5 Ok"
    pass "replies: proxied clients served, the listed one refused for its own address, bad headers 421"
    for a in 203.0.113.7 2001:db8::5 203.0.113.8 203.0.113.10; do
        grep -q "connect from unknown\[$a\]" "$T/maillog" || fail "connect from unknown[$a]"
    done
    grep -qF 'warning: haproxy read: bad or missing client address: PROXY TCP4 203.0.113.999 198.51.100.25 40004 25\r\n' "$T/maillog" ||
        fail "warning for a bad address"
    grep -q 'warning: haproxy read: timeout error' "$T/maillog" || fail "warning for a silent proxy"
    pass "log lines name the proxied clients; Postfix's warnings for bad or missing headers"
    # the real thing: Debian's haproxy in front, the client on 127.0.0.2
    command -v haproxy >/dev/null || { echo "skip: haproxy not installed"; exit 77; }
    H1=$(free_port) H2=$(free_port)
    cat > "$T/haproxy.cfg" <<HA
global
    maxconn 100
defaults
    mode tcp
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend v1
    bind 127.0.0.1:$H1
    default_backend pv1
frontend v2
    bind 127.0.0.1:$H2
    default_backend pv2
backend pv1
    server postern 127.0.0.1:$PP send-proxy
backend pv2
    server postern 127.0.0.1:$PP send-proxy-v2
HA
    "${AS[@]}" haproxy -db -f "$T/haproxy.cfg" > "$T/haproxy.log" 2>&1 &
    PIDS+=($!)
    trap 'stop_pids; cleanup_instance' EXIT
    for i in $(seq 50); do
        (exec 3<>"/dev/tcp/127.0.0.1/$H2") 2>/dev/null && break
        sleep 0.1
    done
    for hp in $H1 $H2; do
        $PY - "$hp" <<'PY' || fail "mail through haproxy ($hp)"
import smtplib, sys
s = smtplib.SMTP(timeout=10, source_address=("127.0.0.2", 0))
s.connect("127.0.0.1", int(sys.argv[1]))
s.sendmail("carol@local.test", ["alice@local.test"], "Subject: via haproxy\r\n\r\nx\r\n")
s.quit()
PY
    done
    wait_log 'status=sent' 2
    [ "$(grep -c 'connect from unknown\[127.0.0.2\]' "$T/maillog")" -ge 2 ] ||
        fail "the client behind haproxy logged as 127.0.0.2"
    grep -q 'Received: from .*unknown \[127.0.0.2\]' "$T"/mail/alice/new/* ||
        fail "Received: names the client behind haproxy"
    pass "real haproxy (send-proxy, send-proxy-v2): the client 127.0.0.2, not the proxy, in the log and Received:"
    ;;
postfix)
    why=$(pf_need)
    [ -z "$why" ] || { echo "skip: $why"; exit 77; }
    PFD=$(mktemp -d /tmp/mta-haproxy-postfix.XXXXXX)
    chmod 755 "$PFD"
    trap 'pf_stop "$PFD"; rm -rf "$PFD"; cleanup_instance' EXIT
    PFPORT=$(free_port)
    mkdir -p "$PFD/etc"
    { pf_main_cf "$PFD"; pf_local_cf; printf '%s\n' "${SETTINGS[@]}"; } > "$PFD/etc/main.cf"
    pf_master_cf "127.0.0.1:$PFPORT inet n - n - - smtpd -o smtpd_upstream_proxy_protocol=haproxy" > "$PFD/etc/master.cf"
    pf_start "$PFD" "$PFPORT" || fail "Postfix peer"
    hdrs "$PFPORT" > "$T/replies.postfix"
    # the greeting names the software (mail_name): the rest must agree
    diff <(sed 's/ESMTP Postfix/ESMTP MTA/' "$T/replies.postfix") \
        <(sed 's/ESMTP Postern/ESMTP MTA/' "$T/replies") ||
        fail "replies differ (< Postfix, > Postern)"
    pass "replies as Postfix's ($(wc -l < "$T/replies") connections)"
    sleep 1
    # pf_start's readiness probe connected once and sent nothing
    plines "$PFD/maillog" | awk 'NR == 1 && /haproxy read: EOF/ { skip = 1; next }
        skip == 1 { skip = 0; next } { print }' > "$T/postfix.lines"
    plines "$T/maillog" > "$T/postern.lines"
    diff "$T/postfix.lines" "$T/postern.lines" || fail "log lines differ (< Postfix, > Postern)"
    pass "connect, warning and reject lines as Postfix's ($(wc -l < "$T/postern.lines") lines)"
    ;;
esac
