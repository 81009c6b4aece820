#!/bin/bash
# local_forward_perms - a world-writable .forward, or one owned by another
# user, is not honoured.
#
# Attack: anyone can write a world-writable .forward, and whoever owns a
# .forward in someone else's home decides where that user's mail goes
# and which command runs as that user. Postfix (dotforward.c) ignores
# such a file with "warning: file F is world writable" / "file F has bad
# owner uid N" and delivers as if there were none.
BIN=$1
. "$(dirname "$0")/lib.sh"
sec_local_setup
sec_user mallory
sec_home_user victim
sec_home_user victim2
V=$(sec_name victim) V2=$(sec_name victim2)
mkdir -p "$T/pwn"
chmod 1777 "$T/pwn"
printf '|/bin/touch %s\n' "$T/pwn/1" > "$T/home/victim/.forward"
chown "$V:$V" "$T/home/victim/.forward"
chmod 666 "$T/home/victim/.forward"
printf '|/bin/touch %s\n' "$T/pwn/2" > "$T/home/victim2/.forward"
chown "$(sec_name mallory)" "$T/home/victim2/.forward"
chmod 644 "$T/home/victim2/.forward"
mta_start

$PY - "$PORT" "$V@local.test" "$V2@local.test" <<'PY' || fail "submit"
import smtplib, sys
with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10) as s:
    s.sendmail("carol@local.test", [sys.argv[2]], "Subject: one\r\n\r\nx\r\n")
    s.sendmail("carol@local.test", [sys.argv[3]], "Subject: two\r\n\r\nx\r\n")
PY
wait_log "to=<$V@local\.test>, relay=local" 1
wait_log "to=<$V2@local\.test>, relay=local" 1
[ -e "$T/pwn/1" ] && fail "command in a world-writable .forward ran"
[ -e "$T/pwn/2" ] && fail "command in a .forward owned by another user ran"
pass "no command ran"
grep -q "warning: file $T/home/victim/.forward is world writable" "$T/maillog" ||
    fail "no warning for the world-writable .forward"
grep -q "warning: file $T/home/victim2/.forward has bad owner uid $SEC_UID_mallory" "$T/maillog" ||
    fail "no warning for the foreign-owned .forward"
pass "warnings in Postfix's words"
grep -q "to=<$V@local\.test>, relay=local, .*status=sent (delivered to maildir)" "$T/maillog" &&
    grep -q '^Subject: one$' "$T"/home/victim/Maildir/new/* &&
    grep -q "to=<$V2@local\.test>, relay=local, .*status=sent (delivered to maildir)" "$T/maillog" &&
    grep -q '^Subject: two$' "$T"/home/victim2/Maildir/new/* ||
    fail "mail not delivered to the mailboxes"
pass "delivered to the mailbox as if there were no .forward"
