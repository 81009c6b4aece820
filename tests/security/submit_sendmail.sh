#!/bin/bash
# submit_sendmail - a local user's sendmail goes through the set-gid
# postdrop; the uid is logged and traced, and envelope addresses with
# control characters are refused (findings 6 and 9, sendmail side).
#
# Before: sendmail wrote into a world-writable maildrop itself, no
# Received: header named the submitting uid, and "sendmail -f" took a
# sender with a newline (a forged header line in every copy delivered
# to an mbox and in bounces).
BIN=$1
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/submit_lib.inc"
submit_need_ns

sec_setup
sec_user mallory
submit_install
mta_start
ln -s "$BIN" "$T/sendmail"

# 1. an ordinary submission: through $T/bin/postdrop (set-gid)
printf 'Subject: from mallory\n\nhello\n' |
    as_submitter mallory "$T/sendmail" -C "$T/etc" alice@local.test ||
    fail "sendmail as mallory"
wait_log "pickup\[[0-9]+\]: [0-9A-F]+: uid=$SEC_UID_mallory from=<$(sec_name mallory)>" 1
wait_log 'to=<alice@local\.test>, relay=local, .*status=sent' 1
m=$(grep -l 'from mallory' "$T"/mail/alice/new/* | head -1)
[ -n "$m" ] || fail "message not delivered"
sed -n 1,6p "$m"
grep -qE "^Received: by mx\.example\.test \(Postern, from userid $SEC_UID_mallory\)$" "$m" ||
    fail "no Received: by ... (Postern, from userid $SEC_UID_mallory)"
grep -qE "^	id [0-9A-F]+; [A-Z][a-z]{2}, [ 0-9]{2} [A-Z][a-z]{2} [0-9]{4} " "$m" ||
    fail "Received: continuation line"
pass "sendmail as mallory: postdrop, uid=$SEC_UID_mallory logged and in Received:"

# 2. postdrop run by mallory without the blessing of the default main.cf
# refuses her configuration directory (Postfix's wording)
mkdir -p "$T/defconf2"
echo "alternate_config_directories = /nonexistent" > "$T/defconf2/main.cf"
chmod -R go+rX "$T/defconf2"
printf 'Subject: x\n\nx\n' |
    SUBMIT_DEFCONF=$T/defconf2 as_submitter mallory "$T/sendmail" -C "$T/etc" alice@local.test 2> "$T/err" &&
    fail "postdrop took an alternate config directory from a user"
cat "$T/err"
grep -q "postdrop: error: untrusted configuration directory name: $T/etc" "$T/err" ||
    fail "untrusted configuration directory message"
grep -q "postdrop: fatal: specify \"alternate_config_directories = $T/etc\" in /etc/postfix/main.cf" "$T/err" ||
    fail "alternate_config_directories hint"
pass "postdrop refuses an unlisted -c from a user"

# 3. control characters in envelope addresses are refused
n=$(ls "$T"/mail/alice/new | wc -l)
printf 'Subject: forged\n\nx\n' |
    as_submitter mallory "$T/sendmail" -C "$T/etc" -f "$(printf 'a\nX-Forged: 1')" alice@local.test \
    2> "$T/err"
rc=$?
cat "$T/err"
[ "$rc" = 64 ] || fail "sendmail -f with a newline: exit $rc, want 64 (EX_USAGE)"
grep -q 'sendmail: fatal: -f option specified malformed sender: a\\nX-Forged: 1' "$T/err" ||
    fail "-f refusal message"
printf 'To: "bad\001name"@local.test\nSubject: forged\n\nx\n' |
    as_submitter mallory "$T/sendmail" -C "$T/etc" -t 2> "$T/err"
rc=$?
cat "$T/err"
[ "$rc" = 64 ] || fail "sendmail -t with a control character: exit $rc, want 64"
grep -q 'malformed recipient address: "bad\\x01name"@local.test' "$T/err" ||
    fail "-t refusal message"
printf 'Subject: forged\n\nx\n' |
    as_submitter mallory "$T/sendmail" -C "$T/etc" "$(printf 'alice@local.test\rX')" 2> "$T/err"
[ $? = 64 ] || fail "recipient with CR accepted"
sleep 1
[ "$(ls "$T"/mail/alice/new | wc -l)" = "$n" ] || fail "a refused message was delivered"
grep -rq 'X-Forged' "$T/mail" && fail "X-Forged header injected"
[ -z "$(ls -A "$T/queue/maildrop")" ] || fail "maildrop not empty: $(ls -A "$T/queue/maildrop")"
pass "sendmail refuses control characters in -f, -t and command-line recipients"
