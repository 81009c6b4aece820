#!/bin/bash
# local_include_forward - a local user reads a root-only file through
# ":include:" in her .forward.
#
# Attack: mallory's .forward says ":include:/root-only-file". When local
# reads the include file as root, every line of it becomes an address, and
# the secret comes back in the bounce ("unknown user: ...") and in the
# maillog. Postfix reads .forward and its include files with the
# recipient's rights: open fails, nothing leaks. Expected: the maillog has
# "warning: cannot open include file ...: Permission denied", the mail
# bounces ("mail system configuration error"), and the secret is nowhere.
BIN=$1
. "$(dirname "$0")/lib.sh"
sec_local_setup
sec_home_user mallory
M=$(sec_name mallory)
SECRET=pstsecret$$leak
printf '%s\n' "$SECRET" > "$T/secret"
chmod 600 "$T/secret"
printf ':include:%s\n' "$T/secret" > "$T/home/mallory/.forward"
chown "$M:$M" "$T/home/mallory/.forward"
mta_start

$PY - "$PORT" "$M@local.test" <<'PY' || fail "submit"
import smtplib, sys
with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10) as s:
    s.sendmail("carol@local.test", [sys.argv[2]], "Subject: include\r\n\r\nx\r\n")
PY
wait_log "(orig_)?to=<$M@local\.test>" 1
# the bounce (or anything else) is delivered to carol's maildir
wait_log 'sender non-delivery notification: [0-9A-F]+' 1
wait_log 'to=<carol@local\.test>, relay=local, .*status=sent' 1
if grep -rqs "$SECRET" "$T/mail" "$T/home" "$T/maillog" "$T/queue"; then
    grep -rs "$SECRET" "$T/mail" "$T/home" "$T/maillog" "$T/queue" | head -5 >&2
    fail "the root-only file leaked through :include: in .forward"
fi
pass "no byte of the root-only file in bounce, maillog, mailbox or queue"
grep -q "warning: cannot open include file $T/secret: Permission denied" "$T/maillog" ||
    fail "no warning naming the include file"
grep -qE "to=<$M@local\.test>, relay=local, .*dsn=5\.3\.5, status=bounced \(mail system configuration error\)" "$T/maillog" ||
    fail "no bounce with Postfix's text"
pass "include file opened as the recipient: warning logged, bounced"
