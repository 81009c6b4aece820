#!/bin/bash
# local_include_alias - ":include:" of a root-only file in a root-owned
# alias database is read with default_privs rights, not root's.
#
# Attack: an alias "pstincl: :include:/root-only-file" (say, a list file
# the admin made 0600 by mistake, or a path a user can influence) turns
# each line of the file into an address, and the secret comes back in
# bounces and the maillog. Postern opens include files of root-owned
# aliases as default_privs. A world-readable include still works, and its
# deliveries run with its owner's rights.
BIN=$1
. "$(dirname "$0")/lib.sh"
sec_local_setup
sec_home_user mallory
M=$(sec_name mallory)
SECRET=pstsecret$$alias
printf '%s\n' "$SECRET" > "$T/secret"
chmod 600 "$T/secret"
printf '%s\n' "$M" > "$T/list"
chmod 644 "$T/list"
printf 'pstincl: :include:%s\npstlist: :include:%s\n' "$T/secret" "$T/list" \
    >> "$T/etc/aliases"
chown root:root "$T/etc/aliases"
mta_start

$PY - "$PORT" <<'PY' || fail "submit"
import smtplib, sys
with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10) as s:
    s.sendmail("carol@local.test", ["pstincl@local.test"], "Subject: include\r\n\r\nx\r\n")
    s.sendmail("carol@local.test", ["pstlist@local.test"], "Subject: list\r\n\r\nx\r\n")
PY
wait_log "to=<$M@local\.test>, orig_to=<pstlist@local\.test>, relay=local, .*status=sent \(delivered to maildir\)" 1
pass "a world-readable include file in a root-owned alias still works"
wait_log 'sender non-delivery notification: [0-9A-F]+' 1
wait_log 'to=<carol@local\.test>, relay=local, .*status=sent' 1
if grep -rqs "$SECRET" "$T/mail" "$T/home" "$T/maillog" "$T/queue"; then
    grep -rs "$SECRET" "$T/mail" "$T/home" "$T/maillog" "$T/queue" | head -5 >&2
    fail "the root-only file leaked through :include: in aliases"
fi
grep -q "warning: cannot open include file $T/secret: Permission denied" "$T/maillog" ||
    fail "no warning naming the include file"
pass "root-only include file not read: default_privs rights"
