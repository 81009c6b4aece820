#!/bin/bash
# local_restrict - allow_mail_to_commands and allow_mail_to_files are
# honoured.
#
# Attack: the admin sets allow_mail_to_commands = alias (no commands from
# users' .forward files) and allow_mail_to_files = alias; a user's
# .forward still runs a command / writes a file. Postfix bounces these
# with "mail to command is restricted" / "mail to file is restricted"
# (5.7.1). The "include" class is separate too: a command in an include
# file is refused unless allow_mail_to_commands lists "include".
BIN=$1
. "$(dirname "$0")/lib.sh"
sec_local_setup \
    "allow_mail_to_commands = alias" "allow_mail_to_files = alias"
sec_home_user mallory
M=$(sec_name mallory)
mkdir -p "$T/pwn"
chmod 1777 "$T/pwn"
printf '|/bin/touch %s\n%s\n' "$T/pwn/cmd" "$T/pwn/file" > "$T/home/mallory/.forward"
chown "$M:$M" "$T/home/mallory/.forward"
printf '|/bin/touch %s\n' "$T/pwn/incl" > "$T/list"
chmod 644 "$T/list"
printf 'pstincl: :include:%s\npstok: "|/bin/touch %s"\n' "$T/list" "$T/pwn/alias" \
    >> "$T/etc/aliases"
mta_start

$PY - "$PORT" "$M@local.test" <<'PY' || fail "submit"
import smtplib, sys
with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10) as s:
    s.sendmail("carol@local.test", [sys.argv[2]], "Subject: restricted\r\n\r\nx\r\n")
    s.sendmail("carol@local.test", ["pstincl@local.test"], "Subject: incl\r\n\r\nx\r\n")
    s.sendmail("carol@local.test", ["pstok@local.test"], "Subject: ok\r\n\r\nx\r\n")
PY
wait_log "to=<pstok@local\.test>, relay=local, .*status=sent \(delivered to command" 1
[ -e "$T/pwn/alias" ] || fail "alias command (allowed) did not run"
pass "alias command allowed"
wait_log "to=<$M@local\.test>, relay=local, .*dsn=5\.7\.1, status=bounced \(mail to command is restricted\)" 1
wait_log "to=<$M@local\.test>, relay=local, .*dsn=5\.7\.1, status=bounced \(mail to file is restricted\)" 1
wait_log "to=<pstincl@local\.test>, relay=local, .*dsn=5\.7\.1, status=bounced \(mail to command is restricted\)" 1
[ -e "$T/pwn/cmd" ] && fail ".forward command ran"
[ -e "$T/pwn/file" ] && fail ".forward file written"
[ -e "$T/pwn/incl" ] && fail "include command ran"
pass ".forward command and file, include command: bounced as restricted"
wait_log 'sender non-delivery notification: [0-9A-F]+' 2
wait_log 'to=<carol@local\.test>, relay=local, .*status=sent' 2
grep -rqs 'mail to command is restricted' "$T/mail/carol/new" ||
    fail "bounce does not say why"
pass "bounce says: mail to command is restricted"
