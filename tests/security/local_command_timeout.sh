#!/bin/bash
# local_command_timeout - a |command that never ends, or never reads its
# input, does not hold local for ever.
#
# Attack: mallory's .forward runs "/bin/sleep 100000". local wrote the
# message into the pipe (blocking once the pipe is full, for a message
# larger than 64 KB) and waited for the command without a limit: that
# local process, and the deliveries queued behind it, were stuck. Postfix
# enforces command_time_limit over both, kills the command's process
# group, and bounces with "Command time limit exceeded".
BIN=$1
. "$(dirname "$0")/lib.sh"
sec_local_setup \
    "command_time_limit = 3s"
sec_home_user mallory
M=$(sec_name mallory)
H=$T/home/mallory
printf '|/bin/sleep 100000\n' > "$H/.forward"
chown "$M:$M" "$H/.forward"
mta_start

$PY - "$PORT" "$M@local.test" <<'PY' || fail "submit"
import smtplib, sys
big = ("x" * 70 + "\r\n") * 3000          # 216 KB: more than a pipe holds
with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10) as s:
    s.sendmail("carol@local.test", [sys.argv[2]], "Subject: sleep\r\n\r\n" + big)
    s.sendmail("carol@local.test", ["alice@local.test"], "Subject: next\r\n\r\nx\r\n")
PY
wait_log "to=<$M@local\.test>, relay=local, .*dsn=5\.3\.0, status=bounced \(Command time limit exceeded: \"/bin/sleep 100000\"\)" 1 20
wait_log "to=<alice@local\.test>, relay=local, .*status=sent" 1 20
pass "command killed at command_time_limit, bounced, the next delivery went on"
sleep 0.5
pgrep -u "$M" sleep >/dev/null && fail "the command is still running"
pass "no process of the command left"
