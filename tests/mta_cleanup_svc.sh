#!/bin/bash
# mta_cleanup_svc - cleanup_service_name (issue 19): a second cleanup
# service with its own header_checks, chosen per smtpd listener with -o,
# as mailcow and docker-mailserver configure for submission (their
# "submission-header-cleanup" / "sender-cleanup" services). Mail through
# the submission listener loses the headers that service's checks
# IGNORE; mail through port 25 keeps them; both are delivered. An
# unknown service name defers the message (451 4.3.0) instead of
# bypassing the checks.
#
# usage: mta_cleanup_svc.sh POSTERN
set -u
BIN=$1
. "$(dirname "$0")/mta_lib.sh"

mta_setup
SUB=$(free_port)
cat > "$T/etc/submission_header_cleanup" <<'RX'
/^Received:/            IGNORE
/^X-Originating-IP:/    IGNORE
/^User-Agent:/          IGNORE
RX
cat >> "$T/etc/master.cf" <<MC
127.0.0.1:$SUB inet n - n - - smtpd
  -o cleanup_service_name=submission-header-cleanup
submission-header-cleanup unix n - n - 0 cleanup
  -o header_checks=regexp:$T/etc/submission_header_cleanup
MC
chown -R "$(stat -c %u "$T")" "$T/etc" 2>/dev/null
as_user "$BIN" check -c "$T/etc" > "$T/check.out" 2>&1 ||
    { cat "$T/check.out"; fail "postern check"; }
mta_start

# send PORT SUBJECT: one message with the headers a MUA leaves behind
send() {
    $PY - "$1" "$2" <<'PY'
import smtplib, sys
port, subj = int(sys.argv[1]), sys.argv[2]
msg = ("From: carol@local.test\r\nTo: alice@local.test\r\n"
       "Subject: %s\r\nUser-Agent: Mutt/2.2\r\nX-Originating-IP: [192.0.2.7]\r\n"
       "\r\nbody\r\n" % subj)
with smtplib.SMTP("127.0.0.1", port, timeout=10) as s:
    s.sendmail("carol@local.test", ["alice@local.test"], msg)
PY
}
send "$PORT" via-25 || fail "send on port 25"
send "$SUB" via-submission || fail "send on the submission port"
wait_log 'status=sent' 2

msg_of() { grep -l "^Subject: $1" "$T"/mail/alice/new/* 2>/dev/null | head -1; }
m25=$(msg_of via-25)
msub=$(msg_of via-submission)
[ -n "$m25" ] && [ -n "$msub" ] || fail "both messages delivered"
grep -q '^User-Agent: Mutt' "$m25" && grep -q '^X-Originating-IP:' "$m25" ||
    { cat "$m25"; fail "port 25 mail keeps its headers (the default cleanup)"; }
pass "port 25: the default cleanup service, headers kept"
! grep -q '^User-Agent:\|^X-Originating-IP:\|^Received:' "$msub" ||
    { cat "$msub"; fail "submission mail went through submission-header-cleanup"; }
pass "submission: submission-header-cleanup's header_checks applied (User-Agent, X-Originating-IP, Received gone)"
# Postfix's cleanup logs the IGNORE of a header nowhere; the queue ID of
# the submission message is logged by the second service's process
id=$(grep -o 'with ESMTP id [0-9A-F]*' "$m25" | awk '{print $4}')
[ -n "$id" ] || fail "queue id of the port 25 message"

# a name no service has: the message is not accepted behind the checks'
# back (smtpd cannot reach that cleanup: a temporary error)
mta_stop
sed -i "s/cleanup_service_name=submission-header-cleanup/cleanup_service_name=nosuchcleanup/" "$T/etc/master.cf"
mta_start
out=$($PY - "$SUB" <<'PY'
import smtplib, sys
try:
    with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10) as s:
        s.sendmail("carol@local.test", ["alice@local.test"], "Subject: lost?\r\n\r\nx\r\n")
    print("accepted")
except smtplib.SMTPResponseException as e:
    print(e.smtp_code, e.smtp_error.decode())
except smtplib.SMTPRecipientsRefused as e:
    print(list(e.recipients.values())[0][0])
PY
)
case "$out" in
4*) pass "unknown cleanup service: temporary failure ($out)" ;;
*) fail "unknown cleanup service answered: $out" ;;
esac
pass "cleanup_service_name"
