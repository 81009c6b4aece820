#!/usr/bin/env bash
# mta_notify.sh - bounces, delay warnings and postmaster notices for mail
# relayed by the smtp client.
#
#   mta_notify.sh BIN CASE
#
# Postern (tests/mta_lib.sh instance: alice and carol are local Maildirs,
# postmaster is carol) relays to smtp-sink on loopback in its hard (-f -B)
# or soft (-r -b) reject mode. The notices land in the Maildirs and are
# parsed with Python's email module by testdata/mta_notify/check.py, which
# compares them with notices that Postfix 3.7 wrote for the same
# situation (testdata/mta_notify/postfix-*.eml, from an isolated Postfix
# on loopback, relaying to the same smtp-sink). Exit 77 without smtp-sink.
set -u
BIN=$1
CASE=$2
. "$(dirname "$0")/mta_lib.sh"
# sinks and the smtp-sink check (skip: 77) from the SMTP client suites;
# setup and send are this suite's own
. "$(dirname "$0")/mta_smtp_lib.sh"
DATA=$HERE/../testdata/mta_notify

# setup SINKPORT [main.cf lines]: everything non-local goes to the sink
setup() {
    local sp=$1
    shift
    mta_setup "relayhost = [127.0.0.1]:$sp" "$@"
    trap 'stop_mine; cleanup_instance' EXIT
}

# send FROM RCPT SUBJECT [mail_options [rcpt_options [body size]]]
send() {
    $PY - "$PORT" "$@" <<'PY' || fail "submit $*"
import smtplib, sys
port, sender, rcpt, subject = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
mopt = sys.argv[5].split() if len(sys.argv) > 5 else []
ropt = sys.argv[6].split() if len(sys.argv) > 6 else []
size = int(sys.argv[7]) if len(sys.argv) > 7 else 0
tag = subject.replace(" ", "-")
msg = ("From: Alice <%s>\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <%s@local.test>\r\n\r\n"
       "Hello body line.\r\n" % (sender or "MAILER-DAEMON@x.test", rcpt, subject, tag))
msg += ("y" * 70 + "\r\n") * (size // 72)
with smtplib.SMTP("127.0.0.1", port, local_hostname="client.example.org", timeout=10) as s:
    s.ehlo()
    s.sendmail(sender, [rcpt], msg, mail_options=mopt, rcpt_options=ropt)
PY
}

# notice DIR SUBJECT ORIGSUBJECT: the one notice in DIR/new about ORIGSUBJECT
notice() {
    local dir=$1 subj=$2 orig=$3 i f
    for i in $(seq 100); do
        f=$(grep -lxF "Subject: $subj" "$dir"/new/* 2>/dev/null | xargs -r grep -lxF "Subject: $orig" | head -1)
        [ -n "$f" ] && { echo "$f"; return 0; }
        sleep 0.1
    done
    tail -n 30 "$T/maillog" >&2
    fail "no '$subj' notice about '$orig' in $dir"
}

count_notices() { # DIR SUBJECT ORIGSUBJECT
    grep -lxF "Subject: $2" "$1"/new/* 2>/dev/null | xargs -r grep -lxF "Subject: $3" | wc -l
}

check() { $PY "$DATA/check.py" "$@" || exit 1; }

SUBS=(--sub mta.bench.test=mx.example.test --sub mtabench@local.test=alice@local.test)

case_bounce() {
    SP=$(free_port)
    setup "$SP" "notify_classes = resource, software, bounce"
    sink sink "127.0.0.1:$SP" -f RCPT -B '550 5.1.1 no such user'
    mta_start
    send alice@local.test bob@example.com "test bounce"
    wait_log "to=<bob@example\.com>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:$SP, .*dsn=5\.1\.1, status=bounced \(host 127\.0\.0\.1\[127\.0\.0\.1\] said: 550 5\.1\.1 no such user \(in reply to RCPT TO command\)\)"
    id=$(grep -oE '[0-9A-F]+: to=<bob@example\.com>' "$T/maillog" | head -1 | cut -d: -f1)
    wait_log "postfix/bounce\[[0-9]+\]: $id: sender non-delivery notification: [0-9A-F]+$"
    wait_log "postfix/bounce\[[0-9]+\]: $id: postmaster non-delivery notification: [0-9A-F]+$"
    pass "Postfix's log lines: sender and postmaster non-delivery notification"
    f=$(notice "$T/mail/alice" "Undelivered Mail Returned to Sender" "test bounce") || exit 1
    check "$f" "$DATA/postfix-bounce.eml" "${SUBS[@]}" --to alice@local.test \
        --rpath alice@local.test --orig-subject "test bounce" --body "Hello body line."
    grep -q '^Return-Path: <>$' "$f" || fail "the bounce comes from <>"
    pass "bounce to the sender: Postfix's text, MIME structure, DSN fields and the whole original"
    f=$(notice "$T/mail/carol" "Postmaster Copy: Undelivered Mail" "test bounce") || exit 1
    check "$f" "$DATA/postfix-bounce-postmaster.eml" "${SUBS[@]}" --to postmaster@local.test \
        --rpath alice@local.test --orig-subject "test bounce"
    grep -q '^Return-Path: <double-bounce@mx.example.test>$' "$f" || fail "postmaster copy from double-bounce"
    pass "notify_classes = bounce: headers-only postmaster copy from double-bounce"
    # a message from <> that bounces: "bounce" implies 2bounce, the
    # whole message goes to 2bounce_notice_recipient (postmaster)
    send "" bob@example.com "test 2bounce"
    wait_log 'postmaster non-delivery notification: [0-9A-F]+$' 2
    f=$(notice "$T/mail/carol" "Postmaster Copy: Undelivered Mail" "test 2bounce") || exit 1
    check "$f" "$DATA/postfix-2bounce.eml" "${SUBS[@]}" --to postmaster@local.test \
        --rpath MAILER-DAEMON@mx.example.test --orig-subject "test 2bounce" --body "Hello body line."
    [ "$(count_log 'sender non-delivery notification')" = 1 ] || fail "a notice to <>"
    pass "bounce from <>: whole message to 2bounce_notice_recipient, as Postfix"
    wait_log ': removed' 5
    as_user "$BIN" queue -c "$T/etc" list | grep -q 'Mail queue is empty' || fail "queue empty"
    pass "queue empty"
}

case_dsn() {
    # default notify_classes: no postmaster copies, failed notices dropped
    SP=$(free_port)
    setup "$SP" "bounce_size_limit = 2000"
    sink sink "127.0.0.1:$SP" -f RCPT -B '550 5.1.1 no such user'
    mta_start
    send alice@local.test bob@example.com "ret hdrs" "RET=HDRS"
    send alice@local.test bob@example.com "too big" "" "" 5000
    send alice@local.test bob@example.com "never" "" "NOTIFY=NEVER"
    send alice@local.test bob@example.com "delay only" "" "NOTIFY=DELAY"
    send victim@example.org bob@example.com "remote sender"
    # ENVID, ORCPT and two recipients in one notice
    $PY - "$PORT" <<'PY' || fail "submit with ENVID"
import smtplib, sys
with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), local_hostname="client.example.org", timeout=10) as s:
    s.ehlo()
    s.mail("alice@local.test", ["RET=HDRS", "ENVID=env-42"])
    s.rcpt("bob@example.com", ["NOTIFY=FAILURE", "ORCPT=rfc822;Bob@Example.COM"])
    s.rcpt("carl@example.com")
    s.data("From: Alice <alice@local.test>\r\nTo: bob@example.com, carl@example.com\r\n"
           "Subject: test envid\r\nMessage-ID: <t3@local.test>\r\n\r\nHello body line.\r\n")
PY
    wait_log 'status=bounced' 8
    wait_log 'sender non-delivery notification' 4
    f=$(notice "$T/mail/alice" "Undelivered Mail Returned to Sender" "test envid") || exit 1
    check "$f" "$DATA/postfix-bounce-envid.eml" "${SUBS[@]}" --orig-subject "test envid"
    pass "Original-Envelope-Id, ORCPT, two recipients in one notice, as Postfix"
    f=$(notice "$T/mail/alice" "Undelivered Mail Returned to Sender" "ret hdrs") || exit 1
    check "$f" "$DATA/postfix-bounce.eml" "${SUBS[@]}" --orig-type text/rfc822-headers \
        --orig-subject "ret hdrs"
    pass "RET=HDRS: only the original headers (text/rfc822-headers)"
    f=$(notice "$T/mail/alice" "Undelivered Mail Returned to Sender" "too big") || exit 1
    check "$f" "$DATA/postfix-bounce.eml" "${SUBS[@]}" --orig-type text/rfc822-headers \
        --orig-subject "too big"
    grep -q "$(printf 'y%.0s' $(seq 70))" "$f" && fail "body of a message over bounce_size_limit returned"
    pass "bounce_size_limit: a larger message comes back as headers only"
    # the notice to victim@example.org bounced at the sink too: from <>,
    # with notify_classes lacking bounce and 2bounce it is dropped
    wait_log 'from=<>, .*' 1
    wait_log ': removed' 10
    for i in $(seq 20); do
        as_user "$BIN" queue -c "$T/etc" list | grep -q 'Mail queue is empty' && break
        sleep 0.1
    done
    as_user "$BIN" queue -c "$T/etc" list | grep -q 'Mail queue is empty' || fail "queue empty"
    [ "$(count_notices "$T/mail/alice" "Undelivered Mail Returned to Sender" never)" = 0 ] \
        || fail "NOTIFY=NEVER: notice sent"
    [ "$(count_notices "$T/mail/alice" "Undelivered Mail Returned to Sender" "delay only")" = 0 ] \
        || fail "NOTIFY=DELAY: failure notice sent"
    [ "$(count_log 'sender non-delivery notification')" = 4 ] || fail "4 sender notices"
    [ "$(count_log 'postmaster .* notification')" = 0 ] || fail "postmaster notices with default notify_classes"
    ls "$T"/mail/carol/new/* >/dev/null 2>&1 && fail "postmaster got mail"
    pass "NOTIFY=NEVER and NOTIFY=DELAY: no non-delivery notice; default notify_classes: no postmaster mail"
}

case_loop() {
    # every address but local.test goes to a sink that rejects them all:
    # the bounce to a remote sender fails, the 2bounce to a remote
    # postmaster fails, and that ends it
    SP=$(free_port)
    setup "$SP" "notify_classes = resource, software, 2bounce" \
        "2bounce_notice_recipient = pm@example.net"
    sink sink "127.0.0.1:$SP" -f RCPT -B '550 5.1.1 no such user'
    mta_start
    send victim@example.org bob@example.com "loop"
    wait_log 'sender non-delivery notification: [0-9A-F]+$' 1
    wait_log 'to=<victim@example\.org>, .*status=bounced' 1
    wait_log 'postmaster non-delivery notification: [0-9A-F]+$' 1
    wait_log 'to=<pm@example\.net>, .*status=bounced' 1
    wait_log 'warning: [0-9A-F]+: undeliverable postmaster notification discarded$' 1
    grep -qE 'from=<double-bounce@mx\.example\.test>' "$T/maillog" || fail "2bounce from double-bounce"
    wait_log ': removed' 3
    sleep 2
    [ "$(count_log 'notification: ')" = 2 ] || { cat "$T/maillog"; fail "more notices than bounce + 2bounce"; }
    [ "$(count_log 'status=bounced')" = 3 ] || fail "3 bounced deliveries"
    as_user "$BIN" queue -c "$T/etc" list | grep -q 'Mail queue is empty' || fail "queue empty"
    pass "failed bounce -> 2bounce_notice_recipient; failed 2bounce discarded, no loop"
}

case_delay() {
    SP=$(free_port)
    setup "$SP" "delay_warning_time = 2s" "minimal_backoff_time = 1s" \
        "maximal_backoff_time = 1s" "queue_run_delay = 1s" \
        "notify_classes = resource, software, delay"
    sink sink "127.0.0.1:$SP" -r RCPT -b '450 4.2.0 mailbox busy'
    mta_start
    send alice@local.test bob@example.com "test delay"
    send alice@local.test bob@example.com "never" "" "NOTIFY=NEVER"
    send alice@local.test bob@example.com "failure only" "" "NOTIFY=FAILURE"
    wait_log "to=<bob@example\.com>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:$SP, .*dsn=4\.2\.0, status=deferred \(host 127\.0\.0\.1\[127\.0\.0\.1\] said: 450 4\.2\.0 mailbox busy \(in reply to RCPT TO command\)\)" 3
    wait_log 'sender delay notification: [0-9A-F]+$' 1 15
    wait_log 'postmaster delay notification: [0-9A-F]+$' 1
    f=$(notice "$T/mail/alice" "Delayed Mail (still being retried)" "test delay") || exit 1
    check "$f" "$DATA/postfix-delay.eml" "${SUBS[@]}" --to alice@local.test \
        --rpath alice@local.test --orig-subject "test delay"
    pass "delay notice: Postfix's text, Action: delayed, Status 4.2.0, Will-Retry-Until, headers"
    f=$(notice "$T/mail/carol" "Postmaster Warning: Delayed Mail" "test delay") || exit 1
    check "$f" "$DATA/postfix-delay-postmaster.eml" "${SUBS[@]}" --to postmaster@local.test \
        --orig-subject "test delay"
    pass "notify_classes = delay: postmaster warning"
    # more retries, no more warnings
    n=$(count_log 'status=deferred')
    wait_log 'status=deferred' $((n + 6)) 15
    [ "$(count_log 'sender delay notification')" = 1 ] || fail "one delay notice only"
    [ "$(count_log 'postmaster delay notification')" = 1 ] || fail "one postmaster warning only"
    [ "$(count_notices "$T/mail/alice" "Delayed Mail (still being retried)" never)" = 0 ] || fail "NOTIFY=NEVER warned"
    [ "$(count_notices "$T/mail/alice" "Delayed Mail (still being retried)" "failure only")" = 0 ] || fail "NOTIFY=FAILURE warned"
    as_user "$BIN" queue -c "$T/etc" list | grep -c 'bob@example.com' | grep -qx 3 || fail "the 3 messages are still queued"
    pass "delay_warning_time: one notice per message, none for NOTIFY=NEVER or without DELAY"
    # a restart does not warn again (qmgr infers it from the last deferral)
    mta_stop
    for i in $(seq 50); do kill -0 "$MASTER_PID" 2>/dev/null || break; sleep 0.1; done
    n=$(count_log 'status=deferred')
    mta_start
    wait_log 'recovered [0-9]+ messages' 1
    wait_log 'status=deferred' $((n + 6)) 15
    [ "$(count_log 'delay notification')" = 2 ] || fail "warned again after a restart"
    pass "no second warning after a restart"
}

case_success() {
    # NOTIFY=SUCCESS: a next hop that announces DSN takes the duty over
    # (Postfix sends nothing); one without DSN gets no NOTIFY, so we report
    SP=$(free_port) S2=$(free_port)
    setup "$SP" "transport_maps = inline:{nodsn.test=smtp:[127.0.0.1]:$S2}"
    sink sink "127.0.0.1:$SP"
    sink sink "127.0.0.1:$S2" -N
    mta_start
    send alice@local.test bob@example.com "dsn hop" "RET=HDRS" "NOTIFY=SUCCESS"
    send alice@local.test bob@nodsn.test "no dsn hop" "RET=HDRS ENVID=succ1" "NOTIFY=SUCCESS"
    wait_log "to=<bob@example\.com>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:$SP, .*status=sent" 1
    wait_log "to=<bob@nodsn\.test>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:$S2, .*status=sent" 1
    wait_log 'sender delivery status notification: [0-9A-F]+$' 1
    f=$(notice "$T/mail/alice" "Successful Mail Delivery Report" "no dsn hop") || exit 1
    check "$f" "$DATA/postfix-success-relayed.eml" "${SUBS[@]}" --sub "]:29931=]:$S2" \
        --to alice@local.test --rpath alice@local.test --orig-subject "no dsn hop"
    grep -q '^Action: relayed$' "$f" || fail "Action: relayed"
    grep -q "^<bob@nodsn.test>: delivery via 127.0.0.1\[127.0.0.1\]:$S2: 250 2.0.0 Ok$" "$f" \
        || fail "delivery via host[addr]:port: reply"
    grep -q "to=<bob@nodsn\.test>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:$S2, .*status=sent (250 2\.0\.0 Ok)$" "$T/maillog" \
        || fail "the log line keeps the plain reply"
    pass "NOTIFY=SUCCESS via a next hop without DSN: Postfix's 'relayed' report (Action, Remote-MTA, Diagnostic-Code, text)"
    wait_log ': removed' 3
    sleep 1
    grep -qx 'X-Rcpt-Args: <bob@example.com> NOTIFY=SUCCESS' "$T"/sink/* || fail "NOTIFY passed on"
    [ "$(count_log 'delivery status notification')" = 1 ] || fail "a report although the next hop has DSN"
    pass "NOTIFY=SUCCESS via a next hop with DSN: passed on, no report of ours (as Postfix)"
}

case_expire() {
    # maximal_queue_lifetime: what is still deferred is returned
    SP=$(free_port)
    setup "$SP" "maximal_queue_lifetime = 3s" "minimal_backoff_time = 1s" \
        "maximal_backoff_time = 1s" "queue_run_delay = 1s"
    sink sink "127.0.0.1:$SP" -r RCPT -b '450 4.2.0 mailbox busy'
    mta_start
    send alice@local.test bob@example.com "test expire"
    wait_log 'from=<alice@local\.test>, status=expired, returned to sender$' 1 15
    wait_log 'sender non-delivery notification: [0-9A-F]+$' 1
    f=$(notice "$T/mail/alice" "Undelivered Mail Returned to Sender" "test expire") || exit 1
    check "$f" "$DATA/postfix-expired.eml" "${SUBS[@]}" --to alice@local.test \
        --rpath alice@local.test --orig-subject "test expire" --body "Hello body line."
    pass "expired: Action: failed with the last status (4.2.0) and reply, as Postfix"
}

# mail to double_bounce_sender at a local domain is discarded by qmgr,
# as Postfix does (nothing delivered, nothing bounced)
case_discard() {
    SP=$(free_port)
    setup "$SP"
    mta_start
    ln -s "$BIN" "$T/sendmail"
    printf 'Subject: to the double-bounce address\n\nx\n' \
        | as_user env MAIL_CONFIG="$T/etc" "$T/sendmail" -f alice@local.test \
              double-bounce@local.test alice@local.test || fail "sendmail"
    wait_log 'postfix/qmgr\[[0-9]+\]: [0-9A-F]+: to=<double-bounce@local\.test>, relay=none, delay=[0-9.]+, delays=[0-9.]+/[0-9.]+/[0-9.]+/[0-9.]+, dsn=2\.0\.0, status=sent \(undeliverable postmaster notification discarded\)$'
    wait_log 'to=<alice@local\.test>, .*status=sent'
    wait_log ': removed'
    [ ! -d "$T/mail/double-bounce" ] || fail "nothing delivered to double-bounce"
    [ "$(count_log 'status=bounced|non-delivery notification')" = 0 ] || fail "no bounce"
    pass "mail to double-bounce@<local domain> discarded by qmgr, the other recipient delivered"
}

case "$CASE" in
bounce | dsn | loop | delay | expire | success | discard) "case_$CASE" ;;
*) echo "unknown case $CASE" >&2; exit 2 ;;
esac
