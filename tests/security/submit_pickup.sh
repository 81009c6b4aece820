#!/bin/bash
# submit_pickup - hostile entries in maildrop (findings 7 and 9, pickup
# side).
#
# Before: one unreadable file stopped pickup at that name for good
# (every later message waited forever), a hard link was delivered as
# if its owner had submitted it, and a file whose sender held a newline
# was queued as is. Now pickup opens each entry with
# O_NOFOLLOW|O_NONBLOCK, wants a regular file with one link whose fstat
# matches its lstat, and moves anything else, and malformed files, to
# corrupt/ with a warning, then goes on. The entries are planted by root
# here: what anyone with the setgid_group (or mail_owner) could plant.
BIN=$1
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/submit_lib.inc"
submit_need_ns

sec_setup
sec_user mallory
sec_user victim
submit_install
mta_start
mta_stop
ln -s "$BIN" "$T/sendmail"
MD=$T/queue/maildrop

# a well-formed maildrop file (envelope frame + content), by python
mkfile() { # PATH SENDER RCPT
    $PY - "$@" <<'PY'
import sys
def s(x):
    b = x.encode() + b"\0"
    return b"S" + len(b).to_bytes(4, "big") + b
def u32(v): return b"I" + v.to_bytes(4, "big")
body = s(sys.argv[2]) + s("") + s("") + u32(0) + u32(1) + s(sys.argv[3]) + u32(0)
frame = (len(body) + 1).to_bytes(4, "big") + b"P" + body
open(sys.argv[1], "wb").write(frame + b"Subject: planted\n\nplanted\n")
PY
}

ln -s /etc/shadow "$MD/0001symlink"
mkfifo "$MD/0002fifo"
# a hard link to the victim's message: pickup would take it for a
# submission by the victim
mkfile "$T/victim.msg" victim@local.test alice@local.test
chown "$(sec_name victim)" "$T/victim.msg"
ln "$T/victim.msg" "$MD/0003hardlink"
mkfile "$MD/0004unreadable" mallory@local.test alice@local.test
chown "$(sec_name mallory)" "$MD/0004unreadable"
chmod 000 "$MD/0004unreadable"
mkfile "$MD/0005newline" "$(printf 'a@local.test\nX-Forged: 1')" alice@local.test
chmod 644 "$MD/0005newline"
ls -l "$MD"

mta_start
# a normal message after them is delivered within seconds
printf 'Subject: after the traps\n\nx\n' |
    as_submitter mallory "$T/sendmail" -C "$T/etc" alice@local.test ||
    fail "sendmail as mallory"
wait_log 'to=<alice@local\.test>, relay=local, .*status=sent' 1 10
grep -l 'after the traps' "$T"/mail/alice/new/* >/dev/null || fail "message not delivered"
pass "a message submitted after the planted entries is delivered"

grep 'warning: maildrop/' "$T/maillog"
wait_log 'warning: maildrop/0001symlink: uid 0: not a regular file; moved to corrupt/0001symlink' 1 2
wait_log 'warning: maildrop/0002fifo: uid 0: not a regular file; moved to corrupt/0002fifo' 1 2
wait_log 'warning: maildrop/0003hardlink: uid [0-9]+: file has 2 links; moved to corrupt/0003hardlink' 1 2
wait_log "warning: maildrop/0004unreadable: uid $SEC_UID_mallory: open: Permission denied; moved to corrupt/0004unreadable" 1 2
wait_log 'warning: maildrop/0005newline: uid=0: malformed file; moved to corrupt/0005newline' 1 2
[ "$(ls -A "$MD")" = "" ] || fail "maildrop not empty: $(ls -A "$MD")"
for f in 0001symlink 0002fifo 0003hardlink 0004unreadable 0005newline; do
    [ -e "$T/queue/corrupt/$f" ] || [ -L "$T/queue/corrupt/$f" ] || fail "corrupt/$f missing"
done
[ "$(stat -c %h "$T/victim.msg")" = 2 ] || fail "hard link not kept aside"
grep -rl 'planted' "$T/mail" && fail "a planted message was delivered"
grep -rq 'X-Forged' "$T/mail" && fail "X-Forged header injected"
pass "symlink, FIFO, hard link, unreadable and malformed files moved to corrupt/ with a warning"
