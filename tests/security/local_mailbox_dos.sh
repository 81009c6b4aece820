#!/bin/bash
# local_mailbox_dos - what a user puts where local writes cannot hang it.
#
# Attack: a user's .forward names a file of hers that is a FIFO (open for
# writing blocks until a reader comes), or a file on which she holds an
# fcntl lock (F_SETLKW waits until she lets go): local, and every
# delivery of its batch, waits for ever. Postfix opens without blocking
# and tries a lock deliver_lock_attempts times, deliver_lock_delay apart,
# then defers. Also as Postfix's deliver_file: /dev/null is a valid
# destination, and an executable file is never appended to.
BIN=$1
. "$(dirname "$0")/lib.sh"
sec_local_setup \
    "deliver_lock_attempts = 3" "deliver_lock_delay = 1s"
sec_home_user mallory
sec_home_user mallory2
M=$(sec_name mallory) M2=$(sec_name mallory2)
H=$T/home/mallory H2=$T/home/mallory2
as mallory mkfifo "$H/fifo"
printf '%s\n' "$H/fifo" > "$H/.forward"
printf '%s\n' "$H2/held" > "$H2/.forward"
chown "$M:$M" "$H/.forward"
chown "$M2:$M2" "$H2/.forward"
as mallory2 touch "$H2/held"
# (setpriv directly, not "as": $! must be the holder itself)
setpriv --reuid="$M2" --regid="$M2" --clear-groups $PY -c 'import fcntl, sys, time
f = open(sys.argv[1], "a"); fcntl.lockf(f, fcntl.LOCK_EX)
open(sys.argv[2], "w").close(); time.sleep(120)' "$H2/held" "$H2/ready" &
PIDS+=($!)
for _ in $(seq 100); do [ -e "$H2/ready" ] && break; sleep 0.05; done
[ -e "$H2/ready" ] || fail "lock holder did not start"
printf '#!/bin/sh\necho original\n' > "$T/mail/script.sh"
chown nobody "$T/mail/script.sh"
chmod 755 "$T/mail/script.sh"
cp "$T/mail/script.sh" "$T/script.orig"
printf 'pstnull: /dev/null\npstexec: %s\n' "$T/mail/script.sh" >> "$T/etc/aliases"
mta_start

$PY - "$PORT" "$M@local.test" "$M2@local.test" <<'PY' || fail "submit"
import smtplib, sys
with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10) as s:
    s.sendmail("carol@local.test", [sys.argv[2]], "Subject: fifo\r\n\r\nx\r\n")
    s.sendmail("carol@local.test", [sys.argv[3]], "Subject: lock\r\n\r\nx\r\n")
    s.sendmail("carol@local.test", ["pstnull@local.test"], "Subject: null\r\n\r\nx\r\n")
    s.sendmail("carol@local.test", ["pstexec@local.test"], "Subject: exec\r\n\r\nx\r\n")
    s.sendmail("carol@local.test", ["alice@local.test"], "Subject: next\r\n\r\nx\r\n")
PY
wait_log "to=<$M@local\.test>, relay=local, .*status=deferred \(cannot update mailbox $H/fifo " 1 15
pass "a FIFO as /file destination: deferred at once"
wait_log "to=<$M2@local\.test>, relay=local, .*status=deferred \(cannot update mailbox $H2/held for user $M2@local\.test\. unable to lock for exclusive access: Resource temporarily unavailable\)" 1 15
pass "a lock held by the user: deferred after deliver_lock_attempts"
wait_log "to=<alice@local\.test>, relay=local, .*status=sent" 1 15
pass "the other deliveries went on"
wait_log "to=<pstnull@local\.test>, relay=local, .*status=sent \(delivered to file: /dev/null\)" 1 15
pass "/dev/null is a file destination"
wait_log "to=<pstexec@local\.test>, relay=local, .*dsn=5\.7\.1, status=bounced \(cannot append message to file $T/mail/script\.sh: file is executable\)" 1 15
cmp -s "$T/mail/script.sh" "$T/script.orig" || fail "executable file appended to"
pass "an executable file is not appended to"
