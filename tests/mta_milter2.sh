#!/usr/bin/env bash
# mta_milter2.sh - smtpd_milters at each SMTP stage, non_smtpd_milters
# and rspamd as a milter (issue 19). The replies and log lines are
# Postfix 3.7's, taken from a real Postfix with the same test milter
# (testdata/mta_milter/testmilter.py STAGE-ACT modes).
#
#   mta_milter2.sh BIN CASE
#
# CASE: connect helo mail rcpt
set -u
BIN=$1
CASE=$2
. "$(dirname "$0")/mta_lib.sh"
DATA=$HERE/../testdata/mta_milter
MPORT=

setup() {
    mta_setup "$@"
    trap 'stop_pids; cleanup_instance' EXIT
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

# stages MODE [RCPT...]: the test milter in MODE, one dialogue in $T/dlg
stages() {
    local mode=$1
    shift
    setup
    echo "bad: alice" >> "$T/etc/aliases"
    start_testmilter "$mode"
    echo "smtpd_milters = inet:127.0.0.1:$MPORT" >> "$T/etc/main.cf"
    mta_start
    $PY "$DATA/dialog.py" "$PORT" "$@" > "$T/dlg" 2>&1 ||
        { cat "$T/dlg" >&2; fail "dialogue"; }
}

# want LINE: the dialogue has LINE
want() {
    grep -qxF -- "$1" "$T/dlg" || { cat "$T/dlg" >&2; fail "no '$1'"; }
}

# milter_saw PATTERN: the test milter logged it
milter_saw() {
    for _ in $(seq 40); do
        grep -qE -- "$1" "$T/milter.log" 2>/dev/null && return 0
        sleep 0.05
    done
    cat "$T/milter.log" >&2
    fail "the milter never saw $1"
}

nothing_delivered() {
    sleep 1
    [ -z "$(ls "$T/mail/alice/new" 2>/dev/null)" ] || fail "delivered anyway"
}

NQ='NOQUEUE: milter-reject'
CL='from unknown\[127.0.0.1\]'
FROM='from=<sender@example.test>'
HELO='helo=<client.example.org>'

# a 5xx at CONNECT: a 554 greeting, logged at CONNECT, EHLO and MAIL,
# MAIL answered with the milter's reply; the milter hears nothing more
case_connect() {
    stages connect-code
    want "greet: 554 mx.example.test ESMTP not accepting connections"
    want "mail: 554 5.7.1 no at connect"
    want "rcpt: 503 5.5.1 Error: need MAIL command"
    wait_log "$NQ: CONNECT $CL: 554 5.7.1 no at connect; proto=SMTP\$"
    wait_log "$NQ: EHLO $CL: 554 5.7.1 no at connect; proto=SMTP $HELO\$"
    wait_log "$NQ: MAIL $CL: 554 5.7.1 no at connect; $FROM proto=ESMTP $HELO\$"
    grep -q '^CMD H' "$T/milter.log" && fail "HELO told after a CONNECT reject"
    nothing_delivered
    pass "reject at CONNECT"
}

# SMFIR_REJECT at HELO: EHLO 250, MAIL gets Postfix's default text
case_helo() {
    stages helo-reject
    grep -q "^greet: 220 " "$T/dlg" || fail "greeting not 220"
    want "mail: 550 5.7.1 Command rejected"
    wait_log "$NQ: EHLO $CL: 550 5.7.1 Command rejected; proto=SMTP $HELO\$"
    wait_log "$NQ: MAIL $CL: 550 5.7.1 Command rejected; $FROM proto=ESMTP $HELO\$"
    grep -q '^CMD M' "$T/milter.log" && fail "MAIL told after a HELO reject"
    nothing_delivered
    pass "reject at HELO"
}

# SMFIR_TEMPFAIL at MAIL: MAIL's reply, then SMFIC_ABORT
case_mail() {
    stages mail-tempfail
    want "mail: 451 4.7.1 Service unavailable - try again later"
    want "rcpt: 503 5.5.1 Error: need MAIL command"
    wait_log "$NQ: MAIL $CL: 451 4.7.1 Service unavailable - try again later; $FROM proto=ESMTP $HELO\$"
    milter_saw '^ABORT'
    milter_saw '^QUIT'
    grep -q '^CMD R' "$T/milter.log" && fail "RCPT told after MAIL refused"
    nothing_delivered
    pass "tempfail at MAIL"
}

# a 5xx at RCPT for one recipient: that RCPT refused, the other gets it
case_rcpt() {
    stages rcpt-code alice@local.test bad@local.test
    want "rcpt: 250 2.1.5 Ok"
    want "rcpt: 554 5.7.1 no at rcpt"
    want "data: 354 End data with <CR><LF>.<CR><LF>"
    case $(grep '^eod:' "$T/dlg") in "eod: 250 2.0.0 Ok: queued as "*) ;;
        *) cat "$T/dlg" >&2; fail "end of data" ;; esac
    wait_log ": milter-reject: RCPT $CL: 554 5.7.1 no at rcpt; $FROM to=<bad@local.test> proto=ESMTP $HELO\$"
    grep -q "NOQUEUE: milter-reject: RCPT" "$T/maillog" && fail "RCPT line without queue ID"
    for _ in $(seq 100); do
        [ -n "$(ls "$T/mail/alice/new" 2>/dev/null)" ] && break
        sleep 0.05
    done
    [ "$(ls "$T/mail/alice/new" 2>/dev/null | wc -l)" = 1 ] ||
        fail "alice should have one copy (bad -> alice refused)"
    milter_saw "^CMD R b'<bad@local.test>"
    milter_saw '^EOM'
    pass "reject at RCPT, the other recipient delivered"
}

"case_$CASE"
