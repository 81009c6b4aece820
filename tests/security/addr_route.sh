#!/bin/bash
# addr_route.sh - backscatter and open relay through routing tricks in
# the local part (issue 15, finding 11).
#
# Attack: a client outside mynetworks sends RCPT TO:<user%remote@ours>,
# <remote!user@ours>, <"user@remote"@ours>, <user@remote@ours>. Postfix
# resolves the address first (percent hack, bang path, quoted local part,
# local domains stripped) and refuses it at RCPT with 554 5.7.1 Relay
# access denied; a server that looks only at the last domain accepts it,
# and then bounces it (or relays it) later: backscatter to a forged
# sender. The test instance has local_recipient_maps empty, as many sites
# do, so nothing else stops these at RCPT.
#
# Checks, with Postfix 3.7.11's replies recorded in
# testdata/security/addr_route.txt (by testdata/security/addr_probe.py
# against a real Postfix configured like this instance):
#  1. every case gets Postfix's reply, from 127.0.0.2 (outside
#     mynetworks = 127.0.0.1/32) and from 127.0.0.1, including the
#     access tables, which see the resolved address (a
#     check_recipient_access entry for evil.test catches
#     user%evil.test@local.test, as in Postfix);
#  2. whole transactions (with DATA) from 127.0.0.2 queue nothing and
#     bounce nothing;
#  3. from mynetworks the same addresses are relayed as Postfix relays
#     them: delivered to the resolved recipient (user%remote@ours ->
#     user@remote), as testdata/security/addr_relay.txt recorded;
#  4. after a reload with allow_percent_hack, swap_bangpath and
#     resolve_dequoted_address off, replies and deliveries are Postfix's
#     with the same settings (addr_route_off.txt, addr_relay_off.txt).
BIN=$1
. "$(dirname "$0")/lib.sh"
DATA=$HERE/../testdata/security

sec_setup "local_recipient_maps =" "default_transport = discard" \
    "relay_transport = discard" \
    "smtpd_recipient_restrictions = check_recipient_access inline:{{evil.test=REJECT}}, check_sender_access inline:{{evil.test=REJECT}}"
mta_start

# 1. replies
$PY "$DATA/addr_probe.py" check "$PORT" "$DATA/addr_route.txt" ||
    fail "replies differ from Postfix's (above)"
pass "routing tricks get Postfix's replies at RCPT"

# 2. whole transactions from outside mynetworks: refused, nothing queued
# (the accepted cases of 1. opened queue files: count from here)
opened=$(count_log 'client=unknown\[127\.0\.0\.2\]')
rejected=$(count_log 'reject: RCPT from unknown\[127\.0\.0\.2\]: 554 5\.7\.1 <[^>]*>: Relay access denied')
$PY - "$PORT" <<'PY' || fail "transactions from 127.0.0.2"
import smtplib, sys
tricks = ["user%remote.test@local.test", "remote.test!user@local.test",
          '"user@remote.test"@local.test', "user@remote.test@local.test",
          '"user%remote.test"@local.test', "user%remote.test",
          "a!b!alice@local.test", "user%remote.test%local.test@local.test"]
for rcpt in tricks:
    s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]),
                     source_address=("127.0.0.2", 0), timeout=10)
    s.ehlo("client.example.test")
    s.mail("forged-victim@example.test")
    code, text = s.rcpt(rcpt)
    if code != 554:
        sys.exit("RCPT TO:<%s> from 127.0.0.2: %d %s" % (rcpt, code, text))
    code, text = s.docmd("DATA")
    if code == 354:
        s.send(b"Subject: backscatter\r\n\r\nx\r\n.\r\n")
        code, text = s.getreply()
        sys.exit("DATA accepted for <%s>: %d %s" % (rcpt, code, text))
    s.quit()
PY
sleep 1
[ "$(count_log 'client=unknown\[127\.0\.0\.2\]')" = "$opened" ] ||
    fail "a queue file was opened for a client outside mynetworks"
[ "$(count_log 'status=(bounced|deferred)|non-delivery notification')" = 0 ] ||
    { grep -E 'status=|non-delivery' "$T/maillog" >&2; fail "a bounce was made (backscatter)"; }
[ "$(count_log 'reject: RCPT from unknown\[127\.0\.0\.2\]: 554 5\.7\.1 <[^>]*>: Relay access denied')" = $((rejected + 8)) ] ||
    fail "the refusals are not logged as Postfix logs them"
pass "nothing queued, nothing bounced for clients outside mynetworks"

# relay_check FILE: send from mynetworks to each address of FILE and
# compare the delivery's to=<...>, orig_to=<...> with Postfix's; prints
# how many ran
relay_check() {
    local n=0 rcpt want id got
    while IFS=$'\t' read -r rcpt want; do
        case $rcpt in '#'*|'') continue ;; esac
        id=$($PY - "$PORT" "$rcpt" <<'PY'
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]),
                 source_address=("127.0.0.1", 0), timeout=10)
s.ehlo("client.example.test")
s.mail("sender@example.test")
code, text = s.rcpt(sys.argv[2])
if code != 250:
    sys.exit("RCPT TO:<%s> from 127.0.0.1: %d %s" % (sys.argv[2], code, text))
code, text = s.data(b"Subject: relayed\r\n\r\nx\r\n")
print(text.decode().split()[-1])
s.quit()
PY
) || fail "relay of <$rcpt> from mynetworks"
        n=$((n + 1))
        wait_log " $id: to=" 1 >&2
        got=$(grep " $id: to=" "$T/maillog" | grep -o 'to=<[^>]*>\(, orig_to=<[^>]*>\)\?' | head -1)
        [ "$got" = "$want" ] || fail "<$rcpt>: logged \"$got\", Postfix: \"$want\""
    done < "$1"
    echo "$n"
}

# 3. from mynetworks: relayed to the resolved recipient, as Postfix does
n=$(relay_check "$DATA/addr_relay.txt") || exit 1
[ "$n" -ge 10 ] || fail "only $n relay cases ran"
pass "from mynetworks, $n routed forms are delivered to the resolved recipient as Postfix does"

# 4. allow_percent_hack = no, swap_bangpath = no, resolve_dequoted_address
# = no: the forms stay local, and are still refused for relaying (the
# routing operators make them "routed")
printf '%s\n' "allow_percent_hack = no" "swap_bangpath = no" \
    "resolve_dequoted_address = no" >> "$T/etc/main.cf"
"$BIN" reload -c "$T/etc" >/dev/null 2>&1 || fail "postern reload"
wait_log 'reload' 1
# sessions started before the reload keep the old settings: wait until
# new ones see the new settings
for _ in $(seq 20); do
    $PY "$DATA/addr_probe.py" check "$PORT" "$DATA/addr_route_off.txt" \
        >/dev/null 2>&1 && break
    sleep 0.5
done
$PY "$DATA/addr_probe.py" check "$PORT" "$DATA/addr_route_off.txt" ||
    fail "replies with the routing parameters off differ from Postfix's (above)"
n=$(relay_check "$DATA/addr_relay_off.txt") || exit 1
[ "$n" = 4 ] || fail "only $n cases ran"
pass "allow_percent_hack, swap_bangpath and resolve_dequoted_address = no behave as in Postfix"
