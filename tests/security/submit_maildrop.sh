#!/bin/bash
# submit_maildrop - a local user reads or plants maildrop files
# (finding 7).
#
# Before: maildrop was 1733 and its files 0644: anyone who knew (or
# guessed: time.pid.uid) a file's name read another user's mail, and
# anyone wrote files into it directly, bypassing every check. Now
# maildrop is 1730 mail_owner:setgid_group: only postdrop (set-gid)
# writes, nobody but mail_owner lists or reads; files are 0604 owned by
# the submitting user and the setgid_group, so even a process running
# with that group (postdrop itself, or an attacker who got it) reads
# nobody else's file.
BIN=$1
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/submit_lib.inc"
submit_need_ns

sec_setup
sec_user mallory
sec_user victim
submit_install
mta_start
mta_stop # pickup stopped: files stay in maildrop
ln -s "$BIN" "$T/sendmail"
MALLORY=$(sec_name mallory)

printf 'Subject: secret\n\nthe password is swordfish\n' |
    as_submitter victim "$T/sendmail" -C "$T/etc" alice@local.test ||
    fail "sendmail as victim"
f=$(ls "$T/queue/maildrop" | head -1)
[ -n "$f" ] || fail "no maildrop file"
ls -l "$T/queue/maildrop"
as mallory ls "$T/queue/maildrop" >/dev/null 2>&1 && fail "mallory lists maildrop"
as mallory cat "$T/queue/maildrop/$f" >/dev/null 2>&1 && fail "mallory reads victim's file"
# with the setgid_group too (what a compromised postdrop would have)
setpriv --reuid="$MALLORY" --regid="$SGID_GROUP" --clear-groups \
    ls "$T/queue/maildrop" >/dev/null 2>&1 && fail "mallory+setgid_group lists maildrop"
setpriv --reuid="$MALLORY" --regid="$SGID_GROUP" --clear-groups \
    cat "$T/queue/maildrop/$f" >/dev/null 2>&1 && fail "mallory+setgid_group reads victim's file"
pass "mallory cannot list maildrop nor read another user's file (with or without the group)"
[ "$(stat -c '%a %U %G' "$T/queue/maildrop/$f")" = "604 $(sec_name victim) $SGID_GROUP" ] ||
    fail "maildrop file is $(stat -c '%a %U %G' "$T/queue/maildrop/$f")"
pass "maildrop file 0604, owned by the submitter and the setgid_group"

# writing straight into maildrop, past postdrop's checks
as mallory sh -c "echo x > '$T/queue/maildrop/9999planted'" 2>/dev/null &&
    fail "mallory wrote into maildrop directly"
[ -e "$T/queue/maildrop/9999planted" ] && fail "planted file exists"
pass "mallory cannot write into maildrop without postdrop"

mta_start
wait_log 'to=<alice@local\.test>, relay=local, .*status=sent' 1
grep -l swordfish "$T"/mail/alice/new/* >/dev/null || fail "victim's message not delivered"
pass "victim's message delivered once the mail system runs"
