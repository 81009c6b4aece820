#!/bin/bash
# local_command_groups - |command and /file deliveries run with exactly
# the recipient's uid and gid: none of master's supplementary groups, and
# none of master's environment.
#
# Attack: the admin starts Postern from a root shell whose supplementary
# groups include root (0) and adm (4). A command in mallory's .forward then
# runs as mallory but in groups root and adm (reads adm's logs, writes
# group-root files), and a /file delivery creates files in a directory
# only group root may write. Postfix drops them (set_ugid/set_eugid:
# setgroups to the one gid) before every identity change.
BIN=$1
. "$(dirname "$0")/lib.sh"
sec_local_setup
sec_home_user mallory
M=$(sec_name mallory)
H=$T/home/mallory
mkdir -p "$T/grp0"
chown root:root "$T/grp0"
chmod 0770 "$T/grp0"
cat > "$H/idscript" <<SH
#!/bin/sh
{ id -u; id -g; id -G; } > $H/ids.out
env > $H/env.out
cat > $H/msg.out
SH
chmod 755 "$H/idscript"
# no shell metacharacters: run without a shell, as Postfix does
printf '|%s\n%s\n' "$H/idscript" "$T/grp0/stolen" > "$H/.forward"
chown "$M:$M" "$H/idscript" "$H/.forward"
# an alias command with shell metacharacters runs through /bin/sh
printf 'pstcmd: "|id -G > %s"\n' "$T/mail/cmdgroups" >> "$T/etc/aliases"
AS=(env PSTLEAK=master-env setpriv --groups=0,4 --)
mta_start
grep -qE '^Groups:\s+0 4\s*$' "/proc/$MASTER_PID/status" ||
    fail "master was not started with supplementary groups 0 4"

$PY - "$PORT" "$M@local.test" <<'PY' || fail "submit"
import smtplib, sys
with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10) as s:
    s.sendmail("carol@local.test", [sys.argv[2]], "Subject: groups\r\n\r\nx\r\n")
    s.sendmail("carol@local.test", ["pstcmd@local.test"], "Subject: alias\r\n\r\nx\r\n")
PY
wait_log "to=<$M@local\.test>, relay=local, .*\(delivered to command: $H/idscript\)" 1
wait_log "to=<pstcmd@local\.test>, relay=local, .*\(delivered to command: id -G" 1
wait_log "to=<$M@local\.test>, relay=local, .*$T/grp0/stolen" 1
uid=$(id -u "$M") gid=$(id -g "$M")
printf '%s\n%s\n%s\n' "$uid" "$gid" "$gid" | cmp -s - "$H/ids.out" || {
    cat "$H/ids.out" >&2; fail "command ran with other ids or groups than $uid/$gid"; }
pass "|command from .forward: uid $uid, gid $gid, no supplementary groups"
[ "$(cat "$T/mail/cmdgroups")" = "$(id -g nobody)" ] || {
    cat "$T/mail/cmdgroups" >&2; fail "alias command kept other groups"; }
pass "|command from an alias (through /bin/sh): default_privs' group only"
[ -e "$T/grp0/stolen" ] && fail "/file delivery used master's group root"
grep -q "to=<$M@local\.test>, relay=local, .*status=deferred (cannot update mailbox $T/grp0/stolen .*Permission denied" "$T/maillog" ||
    fail "file delivery not refused with the recipient's rights"
pass "/file delivery: no group root"
grep -q PSTLEAK "$H/env.out" && fail "command inherited master's environment"
for v in "HOME=$H" "USER=$M" "LOGNAME=$M" "SHELL=/bin/sh" \
    "SENDER=carol@local.test" "RECIPIENT=$M@local.test" "LOCAL=$M" \
    "DOMAIN=local.test"; do
    grep -qx "$v" "$H/env.out" || { cat "$H/env.out" >&2; fail "environment lacks $v"; }
done
grep -q '^Subject: groups$' "$H/msg.out" || fail "command got the message"
pass "clean environment (HOME, USER, LOGNAME, SHELL, SENDER, RECIPIENT...)"
