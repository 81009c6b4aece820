#!/usr/bin/env bash
# mta_milter2.sh - smtpd_milters at each SMTP stage, non_smtpd_milters
# and rspamd as a milter (issue 19). The replies and log lines are
# Postfix 3.7's, taken from a real Postfix with the same test milter
# (testdata/mta_milter/testmilter.py STAGE-ACT modes).
#
#   mta_milter2.sh BIN CASE
#
# CASE: connect helo mail rcpt local_edit local_reject local_rcpt local_dkim
#       rspamd down header_checks shutdown settings data
# Exit 77 (skipped) when OpenDKIM or python3-dkim is missing (local_dkim),
# when rspamd is missing or does not start (rspamd).
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

# a 5xx at the DATA command: DATA's reply (no 354), then SMFIC_ABORT
case_data() {
    stages data-code
    want "data: 554 5.7.1 no at data"
    grep -q '^eod:' "$T/dlg" && { cat "$T/dlg" >&2; fail "354 after a DATA reject"; }
    wait_log ": milter-reject: DATA $CL: 554 5.7.1 no at data; $FROM to=<alice@local.test> proto=ESMTP $HELO\$"
    milter_saw '^ABORT'
    grep -q '^EOM' "$T/milter.log" && fail "content told after DATA refused"
    nothing_delivered
    pass "reject at DATA"
}

# SMFIR_SHUTDOWN at MAIL: Postfix's 421, logged, and the session ends
case_shutdown() {
    stages mail-shutdown
    want "mail: 421 4.7.0 Server closing connection"
    want "closed"
    grep -q '^rcpt:' "$T/dlg" && { cat "$T/dlg" >&2; fail "session went on"; }
    wait_log "$NQ: MAIL $CL: 421 4.7.0 Server closing connection; $FROM proto=ESMTP $HELO\$"
    pass "shutdown at MAIL"
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
    # DATA told once, at the DATA command
    [ "$(grep -c '^CMD T' "$T/milter.log")" = 1 ] || { cat "$T/milter.log" >&2; fail "DATA not told once"; }
    pass "reject at RCPT, the other recipient delivered"
}

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

# submit: the test message through sendmail (pickup, non_smtpd_milters)
submit() {
    as_user "$BIN" sendmail -C "$T/etc" -f sender@example.test alice@local.test \
        < "$DATA/msg.txt" || fail "sendmail"
}

# local MODE: the test milter in MODE as non_smtpd_milters
local_setup() {
    setup
    start_testmilter "$1"
    echo "non_smtpd_milters = inet:127.0.0.1:$MPORT" >> "$T/etc/main.cf"
    "$BIN" check -c "$T/etc" > "$T/check" 2>&1 ||
        { cat "$T/check" >&2; fail "postern check refuses non_smtpd_milters"; }
    mta_start
    submit
}

# every edit of the test milter on a sendmail submission
case_local_edit() {
    local_setup edit
    delivered 1
    head -n 1 "$MSG" | grep -q '^Return-Path: <changed@example.test>$' ||
        { cat "$MSG" >&2; fail "sender not changed"; }
    grep -q '^X-Milter: added by testmilter$' "$MSG" || fail "added header"
    grep -q '^Subject: changed by milter$' "$MSG" || fail "changed header"
    grep -q '^replaced body$' "$MSG" || fail "body not replaced"
    for _ in $(seq 100); do [ -s "$T/mail/bob.mbox" ] && break; sleep 0.05; done
    grep -q '^X-Milter: added' "$T/mail/bob.mbox" || fail "added recipient bob"
    # Postfix's emulated SMTP stages for local mail
    grep -q "^CMD C b'localhost.x004.x00.x00127.0.0.1.x00'\$" "$T/milter.log" ||
        { cat "$T/milter.log" >&2; fail "CONNECT localhost"; }
    grep -q "^CMD H b'localhost.x00'\$" "$T/milter.log" || fail "HELO localhost"
    # MAIL and RCPT without <>, as Postfix's cleanup sends them
    grep -q "^CMD M b'sender@example.test.x00'\$" "$T/milter.log" || fail "MAIL"
    grep -q "^CMD R b'alice@local.test.x00'\$" "$T/milter.log" || fail "RCPT"
    grep -q '^MACRO C j=mx.example.test$' "$T/milter.log" || fail "macro j"
    grep -q '^MACRO M {mail_addr}=sender@example.test$' "$T/milter.log" ||
        fail "macro mail_addr"
    pass "non_smtpd_milters: every edit on a sendmail submission"
}

# a reject at the end of message: nothing delivered, the file removed
case_local_reject() {
    local_setup reject
    wait_log ': milter-reject: END-OF-MESSAGE from localhost\[127.0.0.1\]: 5.7.1 Milter says no; from=<sender@example.test> to=<alice@local.test>'
    nothing_delivered
    [ -z "$(ls "$T/queue/maildrop" 2>/dev/null)" ] || fail "maildrop file kept"
    pass "non_smtpd_milters: reject"
}

# a milter may not refuse a recipient of local mail: deferred (kept)
case_local_rcpt() {
    setup
    start_testmilter rcpt-code
    echo "non_smtpd_milters = inet:127.0.0.1:$MPORT" >> "$T/etc/main.cf"
    mta_start
    as_user "$BIN" sendmail -C "$T/etc" -f sender@example.test bad@local.test \
        < "$DATA/msg.txt" || fail "sendmail"
    wait_log ': milter-reject: RCPT from localhost\[127.0.0.1\]: 5.7.1 no at rcpt; from=<sender@example.test> to=<bad@local.test>$'
    wait_log "warning: [0-9A-Za-z]+: milter configuration error: can't reject recipient in non-smtpd\(8\) submission"
    wait_log 'warning: [0-9A-Za-z]+: message not accepted, try again later'
    [ -n "$(ls "$T/queue/maildrop" 2>/dev/null)" ] || fail "maildrop file removed"
    pass "non_smtpd_milters: a refused recipient defers the submission"
}

# OpenDKIM signs a locally submitted message
case_local_dkim() {
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
    echo "non_smtpd_milters = inet:127.0.0.1:$MPORT" >> "$T/etc/main.cf"
    mta_start
    submit
    delivered 1
    grep -q '^DKIM-Signature: .*d=example.test' "$MSG" ||
        { cat "$MSG" "$T/dkim/err" >&2; fail "no DKIM-Signature"; }
    $PY "$DATA/dkim_verify.py" "$MSG" "$T/dkim/test.txt" ||
        { cat "$MSG" >&2; fail "DKIM-Signature does not verify"; }
    pass "OpenDKIM signed a sendmail submission, python3-dkim verified"
}

# milter_header_checks on the headers the test milter adds: IGNORE drops
# one, then REJECT with Postfix's reply and milter-header-reject line
case_header_checks() {
    setup
    start_testmilter edit
    printf '/^X-First:/ IGNORE\n' > "$T/etc/mhc"
    cat >> "$T/etc/main.cf" <<CF
smtpd_milters = inet:127.0.0.1:$MPORT
milter_header_checks = regexp:$T/etc/mhc
CF
    "$BIN" check -c "$T/etc" > "$T/check" 2>&1 ||
        { cat "$T/check" >&2; fail "postern check refuses milter_header_checks"; }
    mta_start
    r=$($PY "$DATA/send.py" "$PORT" sender@example.test alice@local.test "$DATA/msg.txt")
    case $r in 250*) ;; *) fail "IGNORE: $r" ;; esac
    delivered 1
    grep -q '^X-Milter: added by testmilter$' "$MSG" || { cat "$MSG" >&2; fail "X-Milter lost"; }
    grep -q '^X-First' "$MSG" && { cat "$MSG" >&2; fail "IGNOREd X-First kept"; }
    mta_stop
    printf '/^X-Milter: added/ REJECT milter header says no\n' > "$T/etc/mhc"
    mta_start
    r=$($PY "$DATA/send.py" "$PORT" sender@example.test alice@local.test "$DATA/msg.txt")
    [ "$r" = "550 5.7.1 milter header says no" ] || fail "REJECT: $r"
    wait_log ": milter-header-reject: header X-Milter: added by testmilter $CL; $FROM to=<alice@local.test> proto=ESMTP $HELO: 5.7.1 milter header says no\$"
    sleep 1
    [ "$(ls "$T/mail/alice/new" | wc -l)" = 1 ] || fail "rejected message delivered"
    pass "milter_header_checks: IGNORE and REJECT"
}

# Postfix's per-milter settings: "{ spec, default_action=accept }" for a
# milter that is down, while the list's default stays tempfail; the
# next milter of the list still edits
case_settings() {
    setup
    start_testmilter edit
    echo "smtpd_milters = { inet:127.0.0.1:$(free_port), connect_timeout = 5s," \
        "default_action=accept }, inet:127.0.0.1:$MPORT" >> "$T/etc/main.cf"
    mta_start
    r=$($PY "$DATA/send.py" "$PORT" sender@example.test alice@local.test "$DATA/msg.txt")
    case $r in 250*) ;; *) tail -n 5 "$T/maillog" >&2; fail "reply $r" ;; esac
    delivered 1
    grep -q '^X-Milter: added by testmilter$' "$MSG" || { cat "$MSG" >&2; fail "second milter skipped"; }
    grep -q 'bad setting\|missing' "$T/maillog" && fail "settings not understood"
    pass "per-milter settings: default_action=accept for one milter"
}

# a milter that is not there: milter_default_action (tempfail) from
# CONNECT on, as Postfix's milter8: 220, then MAIL gets the 451
case_down() {
    setup
    echo "smtpd_milters = inet:127.0.0.1:$(free_port)" >> "$T/etc/main.cf"
    mta_start
    $PY "$DATA/dialog.py" "$PORT" > "$T/dlg" 2>&1 || { cat "$T/dlg" >&2; fail "dialogue"; }
    grep -q "^greet: 220 " "$T/dlg" || fail "greeting not 220"
    want "mail: 451 4.7.1 Service unavailable - try again later"
    wait_log "$NQ: CONNECT $CL: 451 4.7.1 Service unavailable - try again later; proto=SMTP\$"
    wait_log "$NQ: MAIL $CL: 451 4.7.1 Service unavailable - try again later; $FROM proto=ESMTP $HELO\$"
    # milter_default_action = accept: the milter is skipped
    echo "milter_default_action = accept" >> "$T/etc/main.cf"
    mta_stop
    mta_start
    $PY "$DATA/dialog.py" "$PORT" > "$T/dlg" 2>&1 || { cat "$T/dlg" >&2; fail "dialogue"; }
    want "mail: 250 2.1.0 Ok"
    case $(grep '^eod:' "$T/dlg") in "eod: 250 "*) ;; *) cat "$T/dlg" >&2; fail "accept: end of data" ;; esac
    pass "a milter that is down: tempfail at MAIL, or skipped with accept"
}

# rspamd as a milter: its proxy worker in milter mode (self_scan, no
# normal worker, no redis, DNS to a dead loopback port, only the
# milter_headers module configured); GTUBE is rejected at the end of
# data with rspamd's reply, a clean message gets rspamd's headers
case_rspamd() {
    command -v rspamd >/dev/null || { echo "SKIP: rspamd missing"; exit 77; }
    setup
    MPORT=$(free_port)
    local R=$T/rspamd
    mkdir -p "$R/db" "$R/tmp"
    cat > "$R/rspamd.conf" <<CF
options {
  pidfile = "$R/rspamd.pid";
  dbdir = "$R/db";
  tempdir = "$R/tmp";
  dns { nameserver = ["127.0.0.1:9"]; timeout = 0.1s; retransmits = 0; }
  local_addrs = [];
}
logging { type = "file"; filename = "$R/rspamd.log"; level = "info"; }
worker "rspamd_proxy" {
  bind_socket = "127.0.0.1:$MPORT";
  milter = yes;
  timeout = 60s;
  count = 1;
  upstream "local" { default = yes; self_scan = yes; }
}
modules { path = "/usr/share/rspamd/plugins"; }
lua = "/usr/share/rspamd/rules/rspamd.lua";
actions { reject = 15; add_header = 6; }
milter_headers {
  use = ["x-spamd-result", "x-rspamd-server", "x-spam-status"];
  skip_local = false;
  skip_authenticated = false;
}
CF
    if [ "$(id -u)" = 0 ]; then chown -R nobody "$R"; fi
    "${AS[@]}" rspamd -f -c "$R/rspamd.conf" > "$R/out" 2>&1 &
    PIDS+=($!)
    for _ in $(seq 600); do
        $PY -c "import socket; socket.create_connection(('127.0.0.1', $MPORT), 1)" \
            2>/dev/null && break
        sleep 0.1
    done
    $PY -c "import socket; socket.create_connection(('127.0.0.1', $MPORT), 1)" \
        2>/dev/null || { tail -n 20 "$R/out" "$R/rspamd.log" >&2
        echo "SKIP: rspamd did not start (see above)"; exit 77; }
    echo "smtpd_milters = inet:127.0.0.1:$MPORT" >> "$T/etc/main.cf"
    mta_start
    # a clean message: rspamd's headers added
    r=$($PY "$DATA/send.py" "$PORT" sender@example.test alice@local.test "$DATA/msg.txt")
    case $r in 250*) ;; *) tail -n 20 "$R/rspamd.log" >&2; fail "clean: $r" ;; esac
    delivered 1
    grep -q '^X-Spamd-Result: default: False' "$MSG" ||
        { cat "$MSG" >&2; fail "no X-Spamd-Result header"; }
    grep -q '^X-Spam-Status: No' "$MSG" || { cat "$MSG" >&2; fail "no X-Spam-Status"; }
    # GTUBE: rejected at the end of data with rspamd's reply
    sed 's/^hello milter$/XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X/' \
        "$DATA/msg.txt" > "$T/gtube.txt"
    r=$($PY "$DATA/send.py" "$PORT" sender@example.test alice@local.test "$T/gtube.txt")
    [ "$r" = "554 5.7.1 Gtube pattern" ] || fail "GTUBE: $r"
    wait_log ': milter-reject: END-OF-MESSAGE from unknown\[127.0.0.1\]: 5\.7\.1 Gtube pattern; from=<sender@example.test> to=<alice@local.test>'
    sleep 1
    [ "$(ls "$T/mail/alice/new" | wc -l)" = 1 ] || fail "GTUBE delivered"
    pass "rspamd: GTUBE rejected, a clean message with rspamd's headers"
}

"case_$CASE"
