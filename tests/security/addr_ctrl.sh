#!/bin/bash
# addr_ctrl.sh - control characters in envelope addresses (issue 15,
# finding 9): header injection and forged mbox "From " lines.
#
# Attacks:
#  1. SMTP: MAIL FROM / RCPT TO with a bare LF, CR, TAB, NUL, other C0
#     controls and DEL inside the address (quoted or not), ENVID and
#     ORCPT that decode to a newline. Each gets Postfix's reply (501
#     5.1.7 Bad sender address syntax / 501 5.1.3 Bad recipient address
#     syntax / 501 5.5.4 Bad ENVID parameter syntax), recorded from a real
#     Postfix 3.7.11 in testdata/security/addr_ctrl.txt; where Postfix
#     takes a control character, Postern refuses it with the same
#     wording (the file says which). Nothing is queued or delivered.
#  2. sendmail -f "evil@example.test<LF>X-Injected: yes": the sender would
#     become a Return-Path: header line plus a forged header, and a
#     forged line after the mbox "From " line. Whichever layer refuses
#     it (sendmail, or cleanup's central check), no delivered message may
#     carry the injected header.
#  3. A local user's .forward naming "evil<CR>X-Injected: yes@remote.test"
#     (a file the user controls; .forward lines cannot hold a LF, but a
#     CR passes): local resubmits it to cleanup, which must refuse the
#     envelope (the check every entry point passes: pickup, bounce,
#     forwarding), and log why.
#  4. EHLO "evil<CR>X-Injected: yes": the name goes into the Received:
#     header; as in Postfix, control characters (and space < > ( ) \ " ; @)
#     become '?' before it is stored.
BIN=$1
. "$(dirname "$0")/lib.sh"
DATA=$HERE/../testdata/security

sec_setup "local_recipient_maps =" "default_transport = discard" \
    "relay_transport = discard" \
    "smtpd_recipient_restrictions = check_recipient_access inline:{{evil.test=REJECT}}, check_sender_access inline:{{evil.test=REJECT}}"
sec_user victim "$T/home/victim"
VICTIM=$(sec_name victim)
mkdir -p "$T/home/victim"
printf 'evil\rX-Injected: yes@remote.test\n' > "$T/home/victim/.forward"
chown -R "$VICTIM:$VICTIM" "$T/home/victim"
chmod 755 "$T/home" "$T/home/victim"
chmod 644 "$T/home/victim/.forward"
mta_start

# 1. SMTP
$PY "$DATA/addr_probe.py" check "$PORT" "$DATA/addr_ctrl.txt" ||
    fail "replies differ (above)"
sleep 0.5
[ "$(count_log ': client=')" = 0 ] || fail "a queue file was opened"
[ "$(count_log 'status=')" = 0 ] || fail "something was delivered"
pass "control characters in MAIL FROM/RCPT TO/ENVID/ORCPT refused with Postfix's replies, nothing queued"

# 2. sendmail -f with a newline in the sender
SM="$T/sendmail"
ln -s "$BIN" "$SM"
printf 'Subject: injected sender\n\nbody\n' |
    env MAIL_CONFIG="$T/etc" "$SM" -f $'evil@example.test\nX-Injected: yes' \
        alice@local.test bob@local.test 2> "$T/sendmail.err"
sm_rc=$?
# a message that does get through, to know delivery has caught up
printf 'Subject: marker\n\nbody\n' |
    env MAIL_CONFIG="$T/etc" "$SM" -f marker@example.test bob@local.test ||
    fail "sendmail (plain)"
wait_log 'to=<bob@local.test>.*status=sent' 1 20
sleep 1
if grep -rqs '^X-Injected' "$T/mail/alice" "$T/mail/bob.mbox"; then
    grep -rs -B3 '^X-Injected' "$T/mail/alice" "$T/mail/bob.mbox" >&2
    fail "the sender's newline injected a header into a delivered message"
fi
if [ "$(grep -c '^From ' "$T/mail/bob.mbox")" != 1 ]; then
    cat "$T/mail/bob.mbox" >&2
    fail "bob.mbox holds other messages than the marker"
fi
[ "$sm_rc" != 0 ] || [ "$(count_log 'reject: control character in envelope sender')" -ge 1 ] ||
    fail "the sender with a newline was neither refused by sendmail nor by cleanup"
pass "sendmail -f with a newline: refused (sendmail exit $sm_rc), nothing injected"

# 3. .forward with a CR in an address: cleanup refuses the resubmission
$PY - "$PORT" "$VICTIM@local.test" <<'PY' || fail "SMTP to the victim"
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10)
s.sendmail("sender@example.test", [sys.argv[2]], b"Subject: fwd\r\n\r\nx\r\n")
s.quit()
PY
wait_log 'reject: control character in envelope recipient' 1 20
if grep -a 'to=<evil' "$T/maillog" | grep -q 'status=sent'; then
    fail "the forwarded address with a CR was delivered"
fi
grep -aq $'X-Injected: yes@remote.test>.*status=sent' "$T/maillog" &&
    fail "the forwarded address was delivered"
pass "an address with a CR from .forward is refused by cleanup's central check"
# cleanup's refusal is permanent: local bounces at once instead of
# deferring the forward until the message expires
wait_log 'dsn=5\.1\.3, status=bounced \(cannot forward: 501 5\.1\.3 Bad recipient address syntax\)' 1 20
pass "the refused forward bounces (5.1.3), it is not retried"

# 4. a control character in the HELO name, which goes into Received:
$PY - "$PORT" <<'PY' || fail "SMTP with a CR in EHLO"
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
f = s.makefile("rb")
def reply():
    while True:
        line = f.readline()
        if len(line) < 4 or line[3:4] != b"-":
            return line
def cmd(c, want):
    s.sendall(c + b"\r\n")
    r = reply()
    if not r.startswith(want):
        sys.exit("%r: %r" % (c, r))
reply()
cmd(b"EHLO evil\rX-Injected: yes", b"250")
cmd(b"MAIL FROM:<sender@example.test>", b"250")
cmd(b"RCPT TO:<alice@local.test>", b"250")
cmd(b"DATA", b"354")
cmd(b"Subject: helo marker\r\n\r\nx\r\n.", b"250")
cmd(b"QUIT", b"221")
PY
wait_log 'to=<alice@local.test>.*status=sent' 1 20
m=$(grep -l 'helo marker' "$T"/mail/alice/new/* | head -1)
[ -n "$m" ] || fail "the EHLO test message was not delivered"
if grep -q $'\r' "$m"; then
    fail "a CR from EHLO reached the delivered message"
fi
grep -q '^Received: from evil?X-Injected:?yes (' "$m" ||
    { grep '^Received' -A1 "$m" >&2; fail "EHLO name not neutered as Postfix does"; }
pass "control characters in EHLO do not reach Received:"
