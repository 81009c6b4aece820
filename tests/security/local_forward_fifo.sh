#!/bin/bash
# local_forward_fifo - a FIFO (or other special file) as .forward does not
# hang local.
#
# Attack: mallory makes ~/.forward a named pipe. An open() for reading
# blocks until a writer comes, so the local agent delivering to her
# hangs, and with it every local delivery of its batch. Postfix lstat()s
# the file and ignores what is not a regular file; Postern also opens
# with O_NONBLOCK|O_NOFOLLOW and checks with fstat.
BIN=$1
. "$(dirname "$0")/lib.sh"
sec_local_setup
sec_home_user mallory
M=$(sec_name mallory)
as mallory mkfifo "$T/home/mallory/.forward"
mta_start

$PY - "$PORT" "$M@local.test" <<'PY' || fail "submit"
import smtplib, sys
with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10) as s:
    s.sendmail("carol@local.test", [sys.argv[2]], "Subject: fifo\r\n\r\nx\r\n")
    s.sendmail("carol@local.test", ["alice@local.test"], "Subject: next\r\n\r\nx\r\n")
PY
wait_log "to=<$M@local\.test>, relay=local, .*status=sent \(delivered to maildir\)" 1 10
wait_log "to=<alice@local\.test>, relay=local, .*status=sent" 1 10
pass "local did not hang on a FIFO .forward"
grep -q "warning: file $T/home/mallory/.forward is not a regular file" "$T/maillog" ||
    fail "no warning for the FIFO"
pass "warning logged"
