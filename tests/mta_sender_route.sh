#!/bin/bash
# mta_sender_route - sender-dependent routing (Postfix's resolve.c):
# sender_dependent_relayhost_maps and sender_dependent_default_transport_maps
# with their lookup order (sender, sender without extension, @domain),
# DUNNO (the global setting applies), the null sender's lookup keys
# (empty_address_*_lookup_key), the precedence of a transport's own
# nexthop and of transport_maps. Four smtp-sinks on loopback stand for
# the relays; which sink got which message is the result.
#
# usage: mta_sender_route.sh POSTERN
set -u
BIN=$1
. "$(dirname "$0")/mta_lib.sh"
. "$(dirname "$0")/mta_smtp_lib.sh"

P0=$(free_port) P1=$(free_port) P2=$(free_port) P3=$(free_port)
setup "relayhost = [127.0.0.1]:$P0" \
    "sender_dependent_relayhost_maps = inline:{alice@local.test=[127.0.0.1]:$P1, @example.net=[127.0.0.1]:$P1, dunno@example.net=DUNNO, <>=[127.0.0.1]:$P2}" \
    "sender_dependent_default_transport_maps = inline:{carol@local.test=special:[127.0.0.1]:$P3, dave@local.test=special:}" \
    "recipient_delimiter = +" "smtp_helo_name = mx.example.test"
transport special
route override.test "smtp:[127.0.0.1]:$P3"
sink s0 "127.0.0.1:$P0"
sink s1 "127.0.0.1:$P1"
sink s2 "127.0.0.1:$P2"
sink s3 "127.0.0.1:$P3"
chown -R "$RUN_USER" "$T/etc"
mta_start

# sender -> the sink it must reach (recipient at remote.test unless named)
CASES="bob@local.test:s0 alice@local.test:s1 alice+tag@local.test:s1
x@example.net:s1 dunno@example.net:s0 carol@local.test:s3 dave@local.test:s0"
for c in $CASES; do
    send "${c%%:*}" 1 u@remote.test >/dev/null || fail "send from ${c%%:*}"
done
# the null sender: the "<>" key
$PY - "$PORT" <<'PY' || fail "send from <>"
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=20)
s.sendmail("", ["u@remote.test"], "From: MAILER-DAEMON\r\nX-Seq: null\r\n\r\nbounce\r\n")
s.quit()
PY
# transport_maps wins over the sender's relayhost
send alice@local.test 1 u@override.test >/dev/null || fail "send override"
wait_log 'status=sent' 9 20
# sink of each sender: smtp-sink dumps each message with its envelope
for c in $CASES "<>:s2"; do
    s=${c%%:*} want=${c##*:}
    [ "$s" = "<>" ] && s=
    got=$(grep -lx "X-Mail-Args: <$s>" $(grep -rlx 'X-Rcpt-Args: <u@remote.test>' "$T"/s?) |
        sed -E "s#^$T/(s[0-9])/.*#\\1#" |
        sort -u | tr '\n' ' ')
    [ "$got" = "$want " ] || fail "mail from <$s>: want $want, got '${got}'"
done
pass "relayhost by sender (full, no extension, @domain), DUNNO, the null sender's key, the default transport by sender (with its own nexthop, or the sender's relayhost)"
n3=$(grep -rlx 'X-Rcpt-Args: <u@override.test>' "$T/s3" | wc -l)
[ "$n3" = 1 ] || fail "transport_maps before the sender's relayhost ($n3)"
pass "transport_maps takes precedence over the sender's relayhost"
grep -q 'relay=127.0.0.1\[127.0.0.1\]:'"$P3"'.*status=sent' "$T/maillog" || fail "log: relay of special"
pass "log lines name the relay the sender chose"
