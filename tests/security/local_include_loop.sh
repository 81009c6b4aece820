#!/bin/bash
# local_include_loop - an include file that includes itself.
#
# Attack: ":include:F" where F lists ":include:F" (a user can do this
# in a .forward). Unbounded, local recursed until its stack ran out,
# crashed, and did so again on every retry of the message. Postfix
# bounds :include: nesting and bounces with 5.4.6 ":include: nesting
# limit exceeded".
BIN=$1
. "$(dirname "$0")/lib.sh"
sec_local_setup
sec_home_user mallory
M=$(sec_name mallory)
H=$T/home/mallory
printf ':include:%s\n' "$H/loop" > "$H/loop"
printf ':include:%s\n' "$H/loop" > "$H/.forward"
chown "$M:$M" "$H/loop" "$H/.forward"
mta_start

$PY - "$PORT" "$M@local.test" <<'PY' || fail "submit"
import smtplib, sys
with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10) as s:
    s.sendmail("carol@local.test", [sys.argv[2]], "Subject: loop\r\n\r\nx\r\n")
    s.sendmail("carol@local.test", ["alice@local.test"], "Subject: next\r\n\r\nx\r\n")
PY
wait_log "to=<$M@local\.test>, relay=local, .*dsn=5\.4\.6, status=bounced \(:include: nesting limit exceeded\)" 1 15
wait_log "to=<alice@local\.test>, relay=local, .*status=sent" 1 15
grep -q "warning: :include: nesting limit exceeded for $H/loop" "$T/maillog" ||
    fail "no warning"
grep -qE "postfix/master\[[0-9]+\]: warning: .*local.*(signal|status)" "$T/maillog" &&
    fail "a local process died"
pass "self-including file: bounced at the nesting limit, local alive"
