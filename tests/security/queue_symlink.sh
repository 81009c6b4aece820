#!/bin/bash
# queue_symlink - a mail_owner process that was taken over (smtpd, cleanup
# and qmgr run as mail_owner and own the store) plants a symlink to a
# root-only file in place of a segment's state log, then waits for root to
# run an offline "postsuper -d ALL" (or "postern queue delete"). Before
# the fix root appended queue records through the link; now postsuper
# works as mail_owner (as Postfix's does) and the store opens nothing
# through a symlink, so the file is untouched.
BIN=$1
. "$(dirname "$0")/lib.sh"

# local mail goes to the retry transport: it stays deferred in the queue
sec_setup "local_transport = retry:4.3.0 local delivery is away"
echo "retry     unix  -       -       n      -      -       error" >> "$T/etc/master.cf"
mta_start
$PY - "$PORT" <<'PY' || fail "submit"
import smtplib, sys
with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=5) as s:
    for i in range(2):
        s.sendmail("q@example.com", ["alice@local.test"], "Subject: q%d\r\n\r\nx\r\n" % i)
PY
wait_log 'status=deferred' 2
mta_stop
for _ in $(seq 50); do [ -e "$T/queue/pid/master.pid" ] && pgrep -s "$MASTER_PID" >/dev/null || break; sleep 0.1; done

victim=$T/victim
printf 'root:secret:0:0\n' > "$victim"
chmod 600 "$victim"
before=$(sha256sum < "$victim")
seg=$(cd "$T/queue/store" && ls *.seg | head -1)
[ -n "$seg" ] || fail "no segment in the store"
sts=${seg%.seg}.sts
# the attacker is mail_owner: it owns store/ and may replace any name in it
as owner rm -f "$T/queue/store/$sts"
as owner ln -s "$victim" "$T/queue/store/$sts"
[ -L "$T/queue/store/$sts" ] || fail "could not plant the link"

out=$(MAIL_CONFIG="$T/etc" "$BIN" queue -c "$T/etc" delete ALL 2>&1)
echo "postern queue delete ALL: $out"
ln -s "$BIN" "$T/postsuper"
out=$(MAIL_CONFIG="$T/etc" "$T/postsuper" -d ALL 2>&1)
echo "postsuper -d ALL: $out"
after=$(sha256sum < "$victim")
[ "$before" = "$after" ] || { od -c "$victim" | head; fail "root wrote through the planted symlink"; }
[ "$(stat -c '%U %a' "$victim")" = "root 600" ] || fail "victim's owner or mode changed"
pass "offline postsuper and postern queue did not write through a planted store symlink"

# a FIFO in place of the state log must not hang root's postsuper
as owner rm -f "$T/queue/store/$sts"
as owner mkfifo "$T/queue/store/$sts"
timeout 10 env MAIL_CONFIG="$T/etc" "$T/postsuper" -d ALL >/dev/null 2>&1
[ $? = 124 ] && fail "postsuper hung on a FIFO in the store"
pass "a FIFO in the store does not hang postsuper"
