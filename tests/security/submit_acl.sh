#!/bin/bash
# submit_acl - authorized_submit_users, authorized_mailq_users and
# authorized_flush_users keep a named local user from submitting mail,
# listing or flushing the queue, as Postfix's do. Before, the three were
# ignored without a word: the user was refused nothing. The refusal that
# counts is in the set-gid programs (postdrop, postqueue); sendmail's
# check is only the friendlier early answer, so the test also feeds
# postdrop directly, bypassing sendmail.
BIN=$1
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/submit_lib.inc"
submit_need_ns

sec_setup
sec_user mallory
sec_user bob
M=$(sec_name mallory)
submit_install
cat >> "$T/etc/main.cf" <<CF
authorized_submit_users = !$M, static:anyone
authorized_mailq_users = !$M, static:anyone
authorized_flush_users = !$M, static:anyone
CF
mta_start
ln -s "$BIN" "$T/sendmail"

# 1. sendmail: mallory refused with Postfix's text and EX_NOPERM, bob not
printf 'Subject: from mallory\n\nx\n' |
    as_submitter mallory "$T/sendmail" -C "$T/etc" alice@local.test 2> "$T/err"
rc=$?
cat "$T/err"
[ "$rc" = 77 ] || fail "sendmail as mallory: exit $rc, want 77 (EX_NOPERM)"
grep -q "sendmail: fatal: User $M($SEC_UID_mallory) is not allowed to submit mail" "$T/err" ||
    fail "sendmail's refusal text"
printf 'Subject: from bob\n\nx\n' |
    as_submitter bob "$T/sendmail" -C "$T/etc" alice@local.test || fail "sendmail as bob"
wait_log "uid=$SEC_UID_bob from=" 1
wait_log 'to=<alice@local\.test>, relay=local, .*status=sent' 1
pass "authorized_submit_users: sendmail refuses mallory (77), takes bob"

# 2. postdrop itself: what bob's sendmail hands to postdrop, captured by
# a stand-in postdrop, then fed to the real set-gid postdrop by mallory
mkdir -p "$T/etc2" "$T/cap"
sed "s|^command_directory = .*|command_directory = $T/cap|" "$T/etc/main.cf" > "$T/etc2/main.cf"
printf '#!/bin/sh\ncat > %s/cap/msg\n' "$T" > "$T/cap/postdrop"
chmod 755 "$T/cap/postdrop" "$T/etc2"; chmod 644 "$T/etc2/main.cf"; chmod 777 "$T/cap"
printf 'Subject: captured\n\nx\n' |
    as bob "$T/sendmail" -C "$T/etc2" alice@local.test || fail "capture"
[ -s "$T/cap/msg" ] || fail "nothing captured"
before=$(ls -A "$T/queue/maildrop" | wc -l)
as_submitter mallory "$T/bin/postdrop" -c "$T/etc" < "$T/cap/msg" 2> "$T/err"
rc=$?
cat "$T/err"
[ "$rc" != 0 ] || fail "postdrop took mallory's message"
grep -q "postdrop: fatal: User $M($SEC_UID_mallory) is not allowed to submit mail" "$T/err" ||
    fail "postdrop's refusal text"
after=$(ls -A "$T/queue/maildrop" | wc -l)
[ "$before" = "$after" ] || fail "postdrop left a file in maildrop"
sleep 1
! grep -q 'Subject: captured' "$T"/mail/alice/new/* 2>/dev/null || fail "mallory's message was delivered"
pass "postdrop refuses mallory even without sendmail's check"

# 3. postqueue: mallory may neither list nor flush, bob may
as_submitter mallory "$T/bin/postqueue" -c "$T/etc" -p > "$T/out" 2>&1
rc=$?
cat "$T/out"
[ "$rc" = 77 ] || fail "postqueue -p as mallory: exit $rc, want 77"
grep -q "postqueue: fatal: User $M($SEC_UID_mallory) is not allowed to view the mail queue" "$T/out" ||
    fail "postqueue -p refusal text"
as_submitter mallory "$T/bin/postqueue" -c "$T/etc" -f > "$T/out" 2>&1 && fail "postqueue -f as mallory"
grep -q "postqueue: fatal: User $M($SEC_UID_mallory) is not allowed to flush the mail queue" "$T/out" ||
    { cat "$T/out"; fail "postqueue -f refusal text"; }
as_submitter bob "$T/bin/postqueue" -c "$T/etc" -p > "$T/out" 2>&1 || { cat "$T/out"; fail "postqueue -p as bob"; }
as_submitter bob "$T/bin/postqueue" -c "$T/etc" -f > "$T/out" 2>&1 || { cat "$T/out"; fail "postqueue -f as bob"; }
pass "authorized_mailq_users and authorized_flush_users: mallory refused, bob served"
