#!/usr/bin/env bash
# mta_lmtp.sh - delivery to a real Dovecot (issue 18): the lmtp agent over
# a unix socket and over TCP, the pipe agent to dovecot-lda and to a
# test command, read back over IMAP.
#
#   mta_lmtp.sh BIN CASE
#
# Postern runs in a scratch directory (tests/mta_lib.sh), Dovecot as the
# same unprivileged user (tests/dovecot_lib.sh) with passwd-file users
# alice@example.test and bob@example.test; example.test is a virtual
# mailbox domain whose virtual_transport the case chooses. Mail is sent
# with smtplib and read back with imaplib. Exit 77 (skipped) when
# Dovecot is not installed.
set -u
BIN=$1
CASE=$2
. "$(dirname "$0")/mta_lib.sh"
. "$(dirname "$0")/dovecot_lib.sh"
DATA=$HERE/../testdata/mta_lmtp
LOGRE='delay=[0-9.]+, delays=[0-9.]+/[0-9.]+/[0-9.]+/[0-9.]+'
USERS=(alice@example.test:secret bob@example.test:hunter2)

send() { $PY "$HERE/../testdata/mta_smtp/send.py" "$PORT" "$@"; }
imap() { $PY "$DATA/imap_fetch.py" "$DOVECOT_IMAP_PORT" "$@"; }

# setup [main.cf lines]: an instance with example.test hosted
setup() {
    mta_setup "virtual_mailbox_domains = example.test" "$@"
}

# private_link: private/dovecot-lmtp in the queue directory names
# Dovecot's socket, as a Debian mail host's master.cf has it
private_link() {
    as_user ln -sf "$DOVECOT_LMTP_SOCKET" "$T/queue/private/dovecot-lmtp" ||
        fail "link private/dovecot-lmtp"
}

# wait_imap USER PASS COUNT: until the mailbox has COUNT messages; the
# text is left in $T/imap.out
wait_imap() {
    local i
    for i in $(seq 100); do
        imap "$1" "$2" > "$T/imap.out" 2>/dev/null &&
            [ "$(grep -c '^=== ' "$T/imap.out")" -ge "$3" ] && return 0
        sleep 0.1
    done
    cat "$T/imap.out" >&2; tail -n 30 "$T/maillog" >&2
    fail "$1 has $(grep -c '^=== ' "$T/imap.out") messages over IMAP, want $3"
}

# check_message FILE TAG: the message sent by send.py as tag TAG, with
# its headers, its body (the leading dot unstuffed) and Dovecot's own
# Delivered-To (RCPT "-": not checked) and Return-Path
check_message() {
    local f=$1 tag=$2 rcpt=$3 sender=$4
    grep -q "^X-Seq: $tag\$" "$f" || fail "X-Seq: $tag over IMAP"
    grep -q "^Subject: relay test ${tag##*-}\$" "$f" || fail "Subject of $tag"
    grep -q "^hello ${tag##*-}\$" "$f" || fail "body of $tag"
    grep -q '^\.leading dot$' "$f" || fail "dot-stuffed line of $tag"
    grep -q "^Return-Path: <$sender>\$" "$f" || fail "Return-Path of $tag"
    # (Dovecot writes Delivered-To only for a single-recipient transaction)
    [ "$rcpt" = - ] || grep -qi "^Delivered-To: <\?$rcpt>\?\$" "$f" ||
        fail "Delivered-To of $tag"
}

# Two hosted users and one Dovecot does not know, through
# lmtp:unix:private/dovecot-lmtp: one result per recipient.
case_unix() {
    setup "virtual_transport = lmtp:unix:private/dovecot-lmtp"
    dovecot_start "${USERS[@]}"
    mta_start
    private_link
    send postmaster@local.test 1 alice@example.test bob@example.test \
        ghost@example.test >/dev/null || fail "send"
    local relay='mx\.example\.test\[private/dovecot-lmtp\]'
    wait_log "to=<alice@example\.test>, relay=$relay, $LOGRE, dsn=2\.0\.0, status=sent \(250 2\.0\.0 <alice@example\.test> [^ ]+ Saved\)$"
    wait_log "to=<bob@example\.test>, relay=$relay, $LOGRE, dsn=2\.0\.0, status=sent \(250 2\.0\.0 <bob@example\.test> [^ ]+ Saved\)$"
    pass "LMTP over private/dovecot-lmtp: sent, Dovecot's reply per recipient"
    wait_log "to=<ghost@example\.test>, relay=$relay, $LOGRE, dsn=5\.1\.1, status=bounced \(host $relay said: 550 5\.1\.1 <ghost@example\.test> .*\(in reply to RCPT TO command\)\)$"
    pass "the recipient Dovecot does not know: bounced, the others sent"
    wait_imap alice@example.test secret 1
    check_message "$T/imap.out" m-0 - postmaster@local.test
    wait_imap bob@example.test hunter2 1
    check_message "$T/imap.out" m-0 - postmaster@local.test
    pass "read back over IMAP: headers and body as sent"
    local i
    for i in $(seq 100); do
        grep -qs 'ghost@example.test' "$T"/mail/carol/new/* && break
        sleep 0.1
    done
    grep -qs '550 5.1.1 <ghost@example.test>' "$T"/mail/carol/new/* ||
        fail "the bounce notice names Dovecot's reply"
    pass "the sender is told, with Dovecot's words"
}

# A recipient that fails after DATA (Dovecot's quota, checked when it
# stores the mail): its own reply among the end-of-DATA replies,
# bounced; the other recipient's copy delivered
case_quota() {
    setup "virtual_transport = lmtp:unix:private/dovecot-lmtp"
    dovecot_start "${USERS[@]}"
    # every mailbox may hold 1 KB: one test message fits, two do not
    cat >> "$DOVECOT_DIR/dovecot.conf" <<DC
mail_plugins = \$mail_plugins quota
plugin {
  quota = maildir:User quota
  quota_rule = *:storage=1K
}
DC
    "${AS[@]}" "$DOVECOT_BIN" -c "$DOVECOT_DIR/dovecot.conf" reload || fail "dovecot reload"
    sleep 0.5
    mta_start
    private_link
    local relay='mx\.example\.test\[private/dovecot-lmtp\]'
    send postmaster@local.test 1 --tag=first bob@example.test >/dev/null || fail "send 1"
    wait_log "to=<bob@example\.test>, relay=$relay, $LOGRE, dsn=2\.0\.0, status=sent"
    send postmaster@local.test 1 --tag=second alice@example.test bob@example.test >/dev/null || fail "send 2"
    wait_log "to=<alice@example\.test>, relay=$relay, $LOGRE, dsn=2\.0\.0, status=sent \(250 2\.0\.0 <alice@example\.test> [^ ]+ Saved\)$"
    wait_log "to=<bob@example\.test>, relay=$relay, $LOGRE, dsn=5\.2\.2, status=bounced \(host $relay said: 552 5\.2\.2 <bob@example\.test> .*\(in reply to end of DATA command\)\)$"
    pass "after DATA: the full mailbox's reply bounces bob only, alice's copy is delivered"
    wait_imap alice@example.test secret 1
    grep -q '^X-Seq: second-0$' "$T/imap.out" || fail "alice's copy over IMAP"
    wait_imap bob@example.test hunter2 1
    grep -q '^X-Seq: second-0$' "$T/imap.out" && fail "bob got the second message"
    pass "over IMAP: alice has it, bob only his first"
}

# lmtp:inet:host:port (FORM inet) or lmtp:host:port (FORM bare); one
# agent process: its connection to Dovecot is reused
case_inet() {
    local form=$1
    setup "virtual_transport = lmtp:PLACEHOLDER"
    dovecot_start "${USERS[@]}"
    local dest="127.0.0.1:$DOVECOT_LMTP_PORT"
    [ "$form" = inet ] && dest="inet:$dest"
    sed -i "s|lmtp:PLACEHOLDER|lmtp:$dest|" "$T/etc/main.cf"
    sed -i 's|^lmtp .*|lmtp      unix  -       -       n      -      1       lmtp|' "$T/etc/master.cf"
    mta_start
    local n
    for n in 0 1 2 3; do
        send a@example.org 1 --tag=t$n alice@example.test >/dev/null || fail "send $n"
        wait_log "to=<alice@example\.test>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:$DOVECOT_LMTP_PORT, $LOGRE, dsn=2\.0\.0, status=sent \(250 2\.0\.0 <alice@example\.test> [^ ]+ Saved\)$" $((n + 1))
    done
    pass "LMTP over TCP ($form form): sent"
    wait_imap alice@example.test secret 4
    for n in 0 1 2 3; do grep -q "^X-Seq: t$n-0\$" "$T/imap.out" || fail "t$n over IMAP"; done
    check_message "$T/imap.out" t3-0 alice@example.test a@example.org
    pass "four messages read back over IMAP"
    local conns
    conns=$(grep -cE 'lmtp\([0-9]+\): (Info: )?Connect from 127\.0\.0\.1' "$DOVECOT_DIR/dovecot.log")
    [ "$conns" -ge 1 ] && [ "$conns" -lt 4 ] ||
        fail "$conns LMTP connections for 4 messages: the session was not reused"
    pass "connection reused ($conns connections for 4 messages)"
}

# Dovecot down: deferred with the reason, nothing lost; back: delivered
case_down() {
    setup "virtual_transport = lmtp:unix:private/dovecot-lmtp"
    dovecot_start "${USERS[@]}"
    dovecot_stop
    mta_start
    private_link
    send a@example.org 2 alice@example.test >/dev/null || fail "send"
    wait_log "to=<alice@example\.test>, relay=none, $LOGRE, dsn=4\.4\.1, status=deferred \(connect to mx\.example\.test\[private/dovecot-lmtp\]: (Connection refused|No such file or directory)\)$" 2
    as_user "$BIN" queue -c "$T/etc" list > "$T/q.out"
    [ "$(grep -c 'alice@example.test' "$T/q.out")" -ge 2 ] || { cat "$T/q.out"; fail "both kept in the queue"; }
    pass "Dovecot down: deferred, kept in the queue"
    dovecot_start "${USERS[@]}"
    private_link
    as_user "$BIN" queue -c "$T/etc" flush || fail "queue flush"
    wait_log "to=<alice@example\.test>, relay=mx\.example\.test\[private/dovecot-lmtp\], $LOGRE, dsn=2\.0\.0, status=sent" 2 20
    wait_log ': removed' 2
    wait_imap alice@example.test secret 2
    grep -q '^X-Seq: m-0$' "$T/imap.out" && grep -q '^X-Seq: m-1$' "$T/imap.out" ||
        fail "both messages in Dovecot"
    [ "$(grep -c '^=== ' "$T/imap.out")" = 2 ] || fail "delivered once each"
    pass "Dovecot back: both delivered once, nothing lost"
}

# the pipe agent to dovecot-lda, as Dovecot's documentation writes it
case_lda() {
    setup "virtual_transport = dovecot" "dovecot_destination_recipient_limit = 1"
    dovecot_start "${USERS[@]}"
    echo "dovecot   unix  -       n       n      -      -       pipe flags=DRhu user=$RUN_USER argv=$dovecot_lda -f \${sender} -a \${original_recipient} -d \${user}@\${nexthop}" >> "$T/etc/master.cf"
    mta_start
    send postmaster@local.test 1 alice@example.test ghost@example.test >/dev/null || fail "send"
    wait_log "to=<alice@example\.test>, relay=dovecot, $LOGRE, dsn=2\.0\.0, status=sent \(delivered via dovecot service\)$"
    pass "pipe to dovecot-lda: delivered via dovecot service"
    wait_log "to=<ghost@example\.test>, relay=dovecot, $LOGRE, dsn=5\.1\.1, status=bounced \(user unknown(\. Command output: .*)?\)$"
    pass "unknown user: dovecot-lda's EX_NOUSER bounces"
    wait_imap alice@example.test secret 1
    check_message "$T/imap.out" m-0 alice@example.test postmaster@local.test
    pass "read back over IMAP"
}

# the pipe agent's macros, flags and exit codes with a test command
case_pipe() {
    setup "virtual_transport = argtest:next.example" "recipient_delimiter = +" \
        "argtest_time_limit = 2s"
    echo "export_environment = TZ ARGTEST_DIR=$T/out" >> "$T/etc/main.cf"
    mkdir -p "$T/out"
    chmod 777 "$T/out"
    echo "argtest   unix  -       n       n      -      -       pipe flags=R user=$RUN_USER argv=$DATA/argtest.py \${sender} \${nexthop} \${recipient} \${user} \${extension} \${domain} \${mailbox} \${size} \${queue_id} \${client_address} \${client_helo} \${client_protocol}" >> "$T/etc/master.cf"
    mta_start
    send a@example.org 1 u1+ext@example.test U2@Example.TEST >/dev/null || fail "send 1"
    wait_log "to=<u1\+ext@example\.test>, relay=argtest, $LOGRE, dsn=2\.0\.0, status=sent \(delivered via argtest service\)$"
    pass "pipe: sent, Postfix's text"
    $PY - "$T/out" <<'PY' || fail "the command's arguments"
import glob, json, sys
runs = [json.load(open(f)) for f in glob.glob(sys.argv[1] + "/*.json")]
assert len(runs) == 1, runs
r = runs[0]
a = r["argv"]
# one argument per recipient for each recipient macro, in order
want = ["a@example.org", "next.example",
        "u1+ext@example.test", "U2@Example.TEST", "u1", "U2", "ext", "",
        "example.test", "Example.TEST", "u1+ext", "U2"]
assert a[:len(want)] == want, a
assert int(a[len(want)]) > 100 and len(a) == len(want) + 5, a
assert a[-3:] == ["127.0.0.1", "client.example.org", "ESMTP"], a
assert r["head"][0] == "Return-Path: <a@example.org>", r["head"]
assert "ARGTEST_DIR" in r["env"] and "SENDER" not in r["env"], r["env"]
assert len(r["groups"]) <= 1, r["groups"]
PY
    pass "macros expanded per recipient, R flag, clean environment"
    send a@example.org 1 nouser@example.test >/dev/null || fail "send 2"
    wait_log "to=<nouser@example\.test>, relay=argtest, $LOGRE, dsn=5\.1\.1, status=bounced \(user unknown\. Command output: no such user \)$"
    pass "EX_NOUSER: bounced with the command's output"
    send a@example.org 1 tempfail@example.test >/dev/null || fail "send 3"
    wait_log "to=<tempfail@example\.test>, relay=argtest, $LOGRE, dsn=4\.3\.0, status=deferred \(temporary failure\. Command output: try later \)$"
    as_user "$BIN" queue -c "$T/etc" list > "$T/q.out"
    grep -q 'tempfail@example.test' "$T/q.out" || { cat "$T/q.out"; fail "EX_TEMPFAIL stays queued"; }
    pass "EX_TEMPFAIL: deferred, kept in the queue"
    send a@example.org 1 sleepy@example.test >/dev/null || fail "send 4"
    wait_log "to=<sleepy@example\.test>, relay=argtest, $LOGRE, dsn=5\.3\.0, status=bounced \(Command time limit exceeded: \"$DATA/argtest\.py\"\. Command output: sleeping \)$" 1 15
    pass "argtest_time_limit: killed at the limit and bounced, Postfix's text"
}

# local's hand-offs: fallback_transport for a user without a passwd
# entry, luser_relay, mailbox_transport; mailbox_size_limit
case_handoff() {
    setup "virtual_transport = lmtp:unix:private/dovecot-lmtp" \
        "local_recipient_maps =" "recipient_delimiter = +" \
        "fallback_transport = lmtp:unix:private/dovecot-lmtp" \
        "message_size_limit = 2000" "mailbox_size_limit = 2000"
    dovecot_start "${USERS[@]}" dave@local.test:pw
    mta_start
    private_link
    local relay='mx\.example\.test\[private/dovecot-lmtp\]'
    send a@example.org 1 dave@local.test alice@local.test >/dev/null || fail "send"
    wait_log "postfix/lmtp\[[0-9]+\]: [0-9A-F]+: to=<dave@local\.test>, relay=$relay, $LOGRE, dsn=2\.0\.0, status=sent \(250 2\.0\.0 <dave@local\.test> [^ ]+ Saved\)$"
    wait_log "to=<alice@local\.test>, relay=local, $LOGRE, dsn=2\.0\.0, status=sent \(delivered to maildir\)$"
    wait_imap dave@local.test pw 1
    check_message "$T/imap.out" m-0 dave@local.test a@example.org
    pass "fallback_transport: a user unknown to local goes to Dovecot, the others stay local"
    # mbox with mailbox_size_limit: the third message does not fit
    send a@example.org 3 bob@local.test >/dev/null || fail "send bob"
    wait_log "to=<bob@local\.test>, relay=local, .*status=sent" 2
    wait_log "to=<bob@local\.test>, relay=local, $LOGRE, dsn=5\.2\.2, status=bounced \(cannot update mailbox $T/mail/bob\.mbox for user bob@local\.test\. error writing message: File too large\)$"
    [ "$(stat -c %s "$T/mail/bob.mbox")" -le 2000 ] || fail "bob.mbox over the limit"
    pass "mailbox_size_limit: bounced with 5.2.2 when the mailbox would grow past it"
    mta_stop
    # luser_relay and mailbox_transport: restart with them
    sed -i '/^fallback_transport/d' "$T/etc/main.cf"
    echo "luser_relay = alice+\$user@example.test" >> "$T/etc/main.cf"
    mta_start
    send a@example.org 1 --tag=lu zed@local.test >/dev/null || fail "send zed"
    wait_log "to=<alice\+zed@example\.test>, orig_to=<zed@local\.test>, relay=local, $LOGRE, dsn=2\.0\.0, status=sent \(forwarded as [0-9A-F]+\)$"
    wait_log "to=<alice\+zed@example\.test>, relay=$relay, $LOGRE, dsn=2\.0\.0, status=sent"
    wait_imap alice@example.test secret 1
    grep -q '^X-Seq: lu-0$' "$T/imap.out" || fail "luser_relay mail in alice's mailbox"
    pass "luser_relay: an unknown user's mail to alice+\$user@example.test"
    mta_stop
    echo "mailbox_transport = lmtp:unix:private/dovecot-lmtp" >> "$T/etc/main.cf"
    mta_start
    send a@example.org 1 --tag=mt dave@local.test >/dev/null || fail "send dave"
    wait_log "to=<dave@local\.test>, relay=$relay, .*status=sent" 2
    wait_imap dave@local.test pw 2
    grep -q '^X-Seq: mt-0$' "$T/imap.out" || fail "mailbox_transport mail in dave's mailbox"
    pass "mailbox_transport: local hands the mailbox delivery to Dovecot"
}

# spawn: a policy server started by master per connection
case_spawn() {
    mta_setup "smtpd_recipient_restrictions = check_policy_service unix:private/policy, permit_mynetworks, reject_unauth_destination"
    echo "export_environment = TZ POLICY_LOG=$T/policy.log" >> "$T/etc/main.cf"
    echo "policy    unix  -       n       n      -      0       spawn user=$RUN_USER argv=$DATA/policy.py" >> "$T/etc/master.cf"
    : > "$T/policy.log"
    chmod 666 "$T/policy.log"
    mta_start
    $PY - "$PORT" <<'PY' > "$T/smtp.out" || { cat "$T/smtp.out"; fail "SMTP dialogue"; }
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), local_hostname="client.example.org", timeout=20)
s.ehlo()
s.mail("a@example.org")
print(s.rcpt("blocked@local.test"))
print(s.rcpt("alice@local.test"))
s.quit()
PY
    grep -q "^(554, b'5.7.1 <blocked@local.test>: Recipient address rejected: Spawned policy says no')\$" "$T/smtp.out" ||
        { cat "$T/smtp.out"; tail -n 20 "$T/maillog"; fail "the policy's REJECT"; }
    sed -n 2p "$T/smtp.out" | grep -q "^(250, " || fail "the policy's DUNNO"
    grep -q '^blocked@local.test uid=' "$T/policy.log" && grep -q '^alice@local.test uid=' "$T/policy.log" ||
        { cat "$T/policy.log"; fail "the spawned command saw both requests"; }
    grep -q "^blocked@local.test uid=$(id -u "$RUN_USER")\$" "$T/policy.log" || fail "ran as user="
    pass "spawn: the policy server runs per connection as user=, its answers count"
}

case "$CASE" in
unix) case_unix ;;
inet) case_inet inet ;;
hostport) case_inet bare ;;
down) case_down ;;
lda) case_lda ;;
pipe) case_pipe ;;
spawn) case_spawn ;;
handoff) case_handoff ;;
quota) case_quota ;;
*) fail "unknown case $CASE" ;;
esac
