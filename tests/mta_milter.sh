#!/usr/bin/env bash
# mta_milter.sh - smtpd_milters end to end (issue 19): a real OpenDKIM
# signs mail that Postern then delivers (python3-dkim verifies the
# signature, the public key from opendkim-genkey's record, no DNS), and
# a small test milter (testdata/mta_milter/testmilter.py) takes every
# modification action and every reply, hangs and dies mid-message.
#
#   mta_milter.sh BIN CASE
#
# CASE: dkim edit reject tempfail discard quarantine hang die.
# Exit 77 (skipped) when OpenDKIM or python3-dkim is missing (dkim).
set -u
BIN=$1
CASE=$2
. "$(dirname "$0")/mta_lib.sh"
DATA=$HERE/../testdata/mta_milter
MPORT=

# setup [main.cf lines]: mta_setup, and the test's helpers stopped too
setup() {
    mta_setup "$@"
    trap 'stop_pids; cleanup_instance' EXIT
}

send() { $PY "$DATA/send.py" "$PORT" "$@"; }

# delivered N: until alice's maildir has N messages; the newest in $MSG
delivered() {
    local i
    for i in $(seq 200); do
        [ "$(ls "$T/mail/alice/new" 2>/dev/null | wc -l)" -ge "$1" ] && break
        sleep 0.05
    done
    MSG=$(ls -t "$T/mail/alice/new"/* 2>/dev/null | head -n 1)
    [ -n "$MSG" ] || { tail -n 30 "$T/maillog" >&2; fail "nothing delivered"; }
}

# start_testmilter MODE: the test milter on $MPORT
start_testmilter() {
    MPORT=$(free_port)
    "${AS[@]}" $PY "$DATA/testmilter.py" "$MPORT" "$1" "$T/milter.log" &
    PIDS+=($!)
    for _ in $(seq 100); do
        $PY -c "import socket; socket.create_connection(('127.0.0.1', $MPORT), 1)" \
            2>/dev/null && return 0
        sleep 0.05
    done
    fail "test milter did not start"
}

case_dkim() {
    command -v opendkim >/dev/null && command -v opendkim-genkey >/dev/null &&
        $PY -c 'import dkim' 2>/dev/null || {
        echo "SKIP: opendkim, opendkim-genkey or python3-dkim missing"; exit 77; }
    setup
    MPORT=$(free_port)
    mkdir -p "$T/dkim"
    opendkim-genkey -D "$T/dkim" -d example.test -s test || fail "genkey"
    cat > "$T/dkim/opendkim.conf" <<CF
Mode s
Domain example.test
Selector test
KeyFile $T/dkim/test.private
Socket inet:$MPORT@127.0.0.1
Canonicalization relaxed/simple
InternalHosts 127.0.0.1
Background no
Syslog no
RequireSafeKeys no
CF
    if [ "$(id -u)" = 0 ]; then chown -R nobody "$T/dkim"; fi
    "${AS[@]}" opendkim -f -x "$T/dkim/opendkim.conf" 2> "$T/dkim/err" &
    PIDS+=($!)
    for _ in $(seq 100); do
        $PY -c "import socket; socket.create_connection(('127.0.0.1', $MPORT), 1)" \
            2>/dev/null && break
        sleep 0.05
    done
    echo "smtpd_milters = inet:127.0.0.1:$MPORT" >> "$T/etc/main.cf"
    mta_start
    r=$(send sender@example.test alice@local.test "$DATA/msg.txt")
    case $r in 250*) ;; *) cat "$T/dkim/err" >&2; fail "send: $r" ;; esac
    delivered 1
    grep -q '^DKIM-Signature: .*d=example.test' "$MSG" ||
        { cat "$MSG" >&2; fail "no DKIM-Signature in the delivered message"; }
    $PY "$DATA/dkim_verify.py" "$MSG" "$T/dkim/test.txt" ||
        { cat "$MSG" >&2; fail "DKIM-Signature does not verify"; }
    # the verifier must be able to fail: one body byte changed
    sed 's/^hello milter$/hello Milter/' "$MSG" > "$T/tampered"
    $PY "$DATA/dkim_verify.py" "$T/tampered" "$T/dkim/test.txt" >/dev/null &&
        fail "a tampered message verifies"
    pass "OpenDKIM signed, python3-dkim verified"
}

case_edit() {
    setup
    start_testmilter edit
    echo "smtpd_milters = inet:127.0.0.1:$MPORT" >> "$T/etc/main.cf"
    mta_start
    sed 's/^Subject: milter test$/Subject: milter test\nX-Drop-Me: yes/' \
        "$DATA/msg.txt" > "$T/in.txt"
    r=$(send sender@example.test alice@local.test "$T/in.txt")
    case $r in 250*) ;; *) fail "send: $r" ;; esac
    delivered 1
    head -n 1 "$MSG" | grep -q '^Return-Path: <changed@example.test>$' ||
        { cat "$MSG" >&2; fail "sender not changed"; }
    grep -q '^X-First: inserted at the top$' "$MSG" || fail "inserted header"
    grep -q '^X-Milter: added by testmilter$' "$MSG" || fail "added header"
    grep -q '^Subject: changed by milter$' "$MSG" || fail "changed header"
    grep -q '^Subject: milter test' "$MSG" && fail "old Subject kept"
    grep -q '^X-Drop-Me' "$MSG" && fail "deleted header kept"
    grep -q '^replaced body$' "$MSG" || fail "body not replaced"
    grep -q '^hello milter' "$MSG" && fail "old body kept"
    # X-First above the other headers of the message (below ours)
    awk '/^X-First:/{f=NR} /^From: Alice/{a=NR} END{exit !(f && a && f < a)}' \
        "$MSG" || fail "X-First not above From:"
    # the added recipient bob (an mbox)
    for _ in $(seq 100); do [ -s "$T/mail/bob.mbox" ] && break; sleep 0.05; done
    grep -q '^Subject: changed by milter$' "$T/mail/bob.mbox" ||
        fail "added recipient bob got nothing"
    # macros and stages
    grep -q '^MACRO C j=mx.example.test$' "$T/milter.log" || fail "macro j"
    grep -q '^MACRO C {daemon_name}=' "$T/milter.log" || fail "macro daemon_name"
    grep -q '^MACRO M {mail_addr}=sender@example.test$' "$T/milter.log" ||
        fail "macro mail_addr"
    grep -q '^MACRO R {rcpt_addr}=alice@local.test$' "$T/milter.log" ||
        fail "macro rcpt_addr"
    grep -q "^CMD H b'client.example.org" "$T/milter.log" || fail "HELO"
    grep -q "^CMD M b'<sender@example.test>" "$T/milter.log" || fail "MAIL"
    grep -q "^CMD L b'Subject.x00milter test" "$T/milter.log" || fail "header"
    grep -q '^OPTNEG version=6 ' "$T/milter.log" || fail "version 6"
    pass "every modification action applied"
}

# verdict MODE WANT-REPLY WANT-LOG: a reply case
verdict() {
    setup
    start_testmilter "$1"
    echo "smtpd_milters = inet:127.0.0.1:$MPORT" >> "$T/etc/main.cf"
    mta_start
    r=$(send sender@example.test alice@local.test "$DATA/msg.txt")
    case $r in $2) ;; *) fail "$1: reply $r, want $2" ;; esac
    wait_log "$3"
}

nothing_delivered() {
    sleep 1
    [ -z "$(ls "$T/mail/alice/new" 2>/dev/null)" ] || fail "delivered anyway"
}

case_reject() {
    verdict reject '554 5.7.1 Milter says no' \
        ': milter-reject: END-OF-MESSAGE from unknown\[127.0.0.1\]: 5.7.1 Milter says no; from=<sender@example.test> to=<alice@local.test> proto=ESMTP helo=<client.example.org>'
    nothing_delivered
    pass "reject"
}

case_tempfail() {
    verdict tempfail '451 4.7.1 *' \
        ': milter-reject: END-OF-MESSAGE from unknown\[127.0.0.1\]: 4.7.1 Service unavailable - try again later; from=<sender@example.test>'
    nothing_delivered
    pass "tempfail"
}

case_discard() {
    verdict discard '250 *' \
        ': milter-discard: END-OF-MESSAGE from unknown\[127.0.0.1\]: milter triggers DISCARD action; from=<sender@example.test>'
    nothing_delivered
    pass "discard"
}

case_quarantine() {
    verdict quarantine '250 *' \
        ': milter-hold: END-OF-MESSAGE from unknown\[127.0.0.1\]: test quarantine; from=<sender@example.test>'
    nothing_delivered
    "${AS[@]}" "$BIN" postqueue -c "$T/etc" -p > "$T/q" 2>&1 ||
        as_user "$BINDIR/postqueue" -c "$T/etc" -p > "$T/q" 2>&1
    grep -q '!' "$T/q" || { cat "$T/q" >&2; fail "not in the hold queue"; }
    pass "quarantine"
}

# a milter that hangs: milter_content_timeout, then milter_default_action
case_hang() {
    setup "milter_content_timeout = 2s"
    start_testmilter hang
    echo "smtpd_milters = inet:127.0.0.1:$MPORT" >> "$T/etc/main.cf"
    mta_start
    r=$(send sender@example.test alice@local.test "$DATA/msg.txt")
    # Postfix 3.7's reply and line for a milter that times out
    [ "$r" = "451 4.7.1 Service unavailable - try again later" ] ||
        fail "hang: reply $r"
    wait_log ': milter-reject: END-OF-MESSAGE from unknown\[127.0.0.1\]: 4.7.1 Service unavailable - try again later; from=<sender@example.test>'
    wait_log "warning: .*milter inet:127.0.0.1:$MPORT: timeout"
    nothing_delivered
    # milter_default_action = accept: the message, unmodified
    postconf_set milter_default_action=accept
    r=$(send sender@example.test alice@local.test "$DATA/msg.txt")
    case $r in 250*) ;; *) fail "hang/accept: reply $r" ;; esac
    delivered 1
    grep -q '^Subject: milter test$' "$MSG" || fail "message changed"
    pass "hang: tempfail, then accept"
}

# a milter that dies after one edit: nothing half-modified
case_die() {
    setup "milter_default_action = accept"
    start_testmilter die
    echo "smtpd_milters = inet:127.0.0.1:$MPORT" >> "$T/etc/main.cf"
    mta_start
    r=$(send sender@example.test alice@local.test "$DATA/msg.txt")
    case $r in 250*) ;; *) fail "die: reply $r" ;; esac
    delivered 1
    grep -q '^X-Half' "$MSG" && fail "half-modified message delivered"
    grep -q '^hello milter$' "$MSG" || fail "body lost"
    wait_log "warning: .*milter inet:127.0.0.1:$MPORT: unexpected EOF"
    pass "die: the message unmodified"
}

postconf_set() {
    "${AS[@]}" "$BIN" postconf -c "$T/etc" -e "$1" >/dev/null 2>&1 ||
        echo "${1%%=*} = ${1#*=}" >> "$T/etc/main.cf"
    "${AS[@]}" "$BIN" reload -c "$T/etc" >/dev/null 2>&1 || { mta_stop; mta_start; }
    sleep 1
}

"case_$CASE"
