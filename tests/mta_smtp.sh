#!/usr/bin/env bash
# mta_smtp.sh - end-to-end tests of the SMTP client (outbound relay).
#
#   mta_smtp.sh BIN CASE
#
# Postern runs in a scratch directory (tests/mta_lib.sh) and relays to
# Postfix's smtp-sink on loopback high ports; MX cases ask a local
# unbound serving test zones (.test names pointing at 127.0.0.0/8).
# Nothing leaves the machine. Every process the test starts is stopped
# from the EXIT trap. Exit 77 (skipped) when smtp-sink is missing.
set -u
BIN=$1
CASE=$2
. "$(dirname "$0")/mta_lib.sh"
. "$(dirname "$0")/mta_smtp_lib.sh"

case_relay() {
    SP=$(free_port)
    setup "relayhost = [127.0.0.1]:$SP"
    sink sink "127.0.0.1:$SP"
    mta_start
    send a@example.org 3 x@example.net y@example.net >/dev/null || fail "send"
    wait_log 'postfix/smtp\[' 6
    wait_sink sink 3
    [ "$(count_log 'status=sent')" = 6 ] || { cat "$T/maillog"; fail "6 sent lines"; }
    grep -qE "postfix/smtp\[[0-9]+\]: [0-9A-F]+: to=<x@example\.net>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:$SP, $LOGRE, dsn=2\.0\.0, status=sent \(250 2\.0\.0 Ok\)$" "$T/maillog" \
        || { grep 'smtp\[' "$T/maillog"; fail "sent line in Postfix format"; }
    pass "relayed through [127.0.0.1]:$SP, Postfix's sent line"
    # one transaction per message, both recipients in it, body intact
    f=$(grep -l 'X-Seq: m-1' "$T"/sink/*) || fail "message m-1 at the sink"
    [ "$(grep -c '^X-Rcpt-Args: ' "$f")" = 2 ] || fail "two RCPTs in one transaction"
    # smtp-sink announces no SIZE: none in MAIL FROM, as Postfix
    grep -q '^X-Mail-Args: <a@example.org>' "$f" && ! grep -q '^X-Mail-Args: .*SIZE=' "$f" ||
        fail "MAIL FROM without SIZE"
    grep -q '^X-Helo-Args: mx.example.test' "$f" || fail "EHLO with myhostname"
    grep -q '^\.leading dot' "$f" || fail "dot-stuffing undone by the sink"
    pass "two recipients in one transaction, SIZE, EHLO name, dot-stuffing"
    wait_log ': removed' 3
    as_user "$BIN" queue -c "$T/etc" list | grep -q 'Mail queue is empty' || fail "queue empty"
    pass "queue is empty"
}

case_reject() {
    S1=$(free_port) S2=$(free_port) S3=$(free_port)
    setup
    echo "transport_maps = texthash:$T/etc/transport" >> "$T/etc/main.cf"
    cat > "$T/etc/transport" <<TR
soft.test smtp:[127.0.0.1]:$S1
hard.test smtp:[127.0.0.1]:$S2
data.test smtp:[127.0.0.1]:$S3
TR
    sink soft "127.0.0.1:$S1" -r RCPT -b '451 4.7.1 Try again later'
    sink hard "127.0.0.1:$S2" -f RCPT -B '550 5.1.1 No such user here'
    sink data "127.0.0.1:$S3" -f .
    mta_start
    send alice@local.test 1 u@soft.test >/dev/null || fail "send soft"
    send alice@local.test 1 u@hard.test >/dev/null || fail "send hard"
    send alice@local.test 1 u@data.test >/dev/null || fail "send data"
    wait_log "to=<u@soft\.test>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:$S1, $LOGRE, dsn=4\.7\.1, status=deferred \(host 127\.0\.0\.1\[127\.0\.0\.1\] said: 451 4\.7\.1 Try again later \(in reply to RCPT TO command\)\)$"
    pass "4xx to RCPT: deferred, Postfix's text"
    wait_log "to=<u@hard\.test>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:$S2, $LOGRE, dsn=5\.1\.1, status=bounced \(host 127\.0\.0\.1\[127\.0\.0\.1\] said: 550 5\.1\.1 No such user here \(in reply to RCPT TO command\)\)$"
    pass "5xx to RCPT: bounced"
    wait_log "to=<u@data\.test>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:$S3, $LOGRE, dsn=5\.3\.0, status=bounced \(host 127\.0\.0\.1\[127\.0\.0\.1\] said: 500 5\.3\.0 Error: command failed \(in reply to end of DATA command\)\)$"
    pass "5xx to end of DATA: bounced"
    # the sender gets the bounces (alice's Maildir)
    for i in $(seq 100); do
        [ "$(grep -l 'No such user here' "$T"/mail/alice/new/* 2>/dev/null | wc -l)" -ge 1 ] &&
        [ "$(grep -l 'in reply to end of DATA' "$T"/mail/alice/new/* 2>/dev/null | wc -l)" -ge 1 ] && break
        sleep 0.1
    done
    grep -l 'No such user here' "$T"/mail/alice/new/* >/dev/null 2>&1 || fail "bounce for u@hard.test delivered to the sender"
    grep -l 'in reply to end of DATA' "$T"/mail/alice/new/* >/dev/null 2>&1 || fail "bounce for u@data.test delivered to the sender"
    pass "bounce notices reach the sender"
    if [ "$(sink_count soft)" != 0 ] || [ "$(sink_count hard)" != 0 ]; then
        for f in $(find "$T/soft" "$T/hard" -type f); do echo "== $f"; head -20 "$f"; done
        cat "$T/soft.err" "$T/hard.err"; tail -n 40 "$T/maillog"
        fail "rejected mail not at the sinks"
    fi
    as_user "$BIN" queue -c "$T/etc" list > "$T/q.out"
    grep -q 'u@soft.test' "$T/q.out" && ! grep -q 'u@hard.test' "$T/q.out" \
        || { cat "$T/q.out"; fail "only the soft reject stays queued"; }
    pass "soft reject stays queued, hard rejects leave"
}

case_down() {
    SP=$(free_port)
    setup "relayhost = [127.0.0.1]:$SP"
    mta_start
    send a@example.org 2 x@example.net >/dev/null || fail "send"
    wait_log "to=<x@example\.net>, relay=none, $LOGRE, dsn=4\.4\.1, status=deferred \(connect to 127\.0\.0\.1\[127\.0\.0\.1\]:$SP: Connection refused\)$" 2
    as_user "$BIN" queue -c "$T/etc" list > "$T/q.out"
    [ "$(grep -c 'Connection refused' "$T/q.out")" -ge 1 ] || { cat "$T/q.out"; fail "deferred with the reason"; }
    pass "next hop down: deferred (connection refused), kept in the queue"
    sink sink "127.0.0.1:$SP"
    sleep 0.5
    [ "$(sink_count sink)" = 0 ] || fail "nothing sent before the retry"
    as_user "$BIN" queue -c "$T/etc" flush || fail "queue flush"
    wait_sink sink 2 15
    wait_log "to=<x@example\.net>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:$SP, .*status=sent" 2
    wait_log ': removed' 2
    pass "next hop back: delivered after the forced retry"
}

# A cached session whose server went away: the RSET that rides ahead of
# the next MAIL FROM fails, and the message goes out on a new session
# at once (no deferral, nothing lost, sent once).
case_stale() {
    SP=$(free_port)
    setup "relayhost = [127.0.0.1]:$SP" "smtp_connection_cache_time_limit = 60s"
    sink sink1 "127.0.0.1:$SP"
    mta_start
    send a@example.org 1 first@example.net >/dev/null || fail "send 1"
    wait_sink sink1 1
    wait_log "to=<first@example\.net>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:$SP, .*status=sent"
    # a new sink on the same port: the cached connection is dead
    stop_mine; PIDS=()
    sink sink2 "127.0.0.1:$SP"
    send a@example.org 1 second@example.net >/dev/null || fail "send 2"
    wait_sink sink2 1
    wait_log "to=<second@example\.net>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:$SP, .*status=sent"
    [ "$(count_log 'status=deferred')" = 0 ] || fail "nothing deferred"
    [ "$(sink_count sink1)" = 1 ] && [ "$(sink_count sink2)" = 1 ] || fail "each message once"
    pass "stale cached session: RSET fails, the message goes out on a new one"
    # many messages over cached sessions: each arrives once
    send a@example.org 30 many@example.net >/dev/null || fail "send 30"
    wait_sink sink2 31
    sleep 0.5
    [ "$(sink_count sink2)" = 31 ] || fail "31 at the sink, got $(sink_count sink2)"
    pass "30 more over reused sessions, each once"
}


case_mx() {
    SP=$(free_port)
    setup "smtp_connection_cache_on_demand = no"
    echo "transport_maps = texthash:$T/etc/transport" >> "$T/etc/main.cf"
    # every domain goes to its MX hosts (or A) on the sink's port
    : > "$T/etc/transport"
    for d in pref.test eq.test nomx.test null.test nx.test deadmx.test; do
        echo "$d smtp:$d:$SP" >> "$T/etc/transport"
    done
    cat > "$T/dns.zone" <<Z
pref.test. MX 10 down.pref.test.
pref.test. MX 20 up.pref.test.
down.pref.test. A 127.0.0.2
up.pref.test. A 127.0.0.1
eq.test. MX 10 one.eq.test.
eq.test. MX 10 three.eq.test.
one.eq.test. A 127.0.0.1
three.eq.test. A 127.0.0.3
nomx.test. A 127.0.0.1
null.test. MX 0 .
deadmx.test. MX 10 nowhere.deadmx.test.
Z
    unbound_start
    sink sink1 "127.0.0.1:$SP"
    sink sink3 "127.0.0.3:$SP"
    mta_start
    send alice@local.test 1 u@pref.test >/dev/null || fail "send pref"
    wait_log "to=<u@pref\.test>, relay=up\.pref\.test\[127\.0\.0\.1\]:$SP, $LOGRE, dsn=2\.0\.0, status=sent"
    pass "MX preference: the first MX is down, the second takes the mail"
    send alice@local.test 1 u@nomx.test >/dev/null || fail "send nomx"
    wait_log "to=<u@nomx\.test>, relay=nomx\.test\[127\.0\.0\.1\]:$SP, .*status=sent"
    pass "no MX: the domain's A record"
    send alice@local.test 1 u@null.test >/dev/null || fail "send null"
    wait_log "to=<u@null\.test>, relay=none, $LOGRE, dsn=5\.1\.10, status=bounced \(Domain null\.test does not accept mail \(nullMX\)\)$"
    pass "null MX: bounced at once (5.1.10)"
    send alice@local.test 1 u@nx.test >/dev/null || fail "send nx"
    wait_log "to=<u@nx\.test>, relay=none, $LOGRE, dsn=5\.4\.4, status=bounced \(Host or domain name not found\. Name service error for name=nx\.test type=A: Host not found\)$"
    pass "no such domain: bounced (5.4.4)"
    send alice@local.test 1 u@deadmx.test >/dev/null || fail "send deadmx"
    wait_log "to=<u@deadmx\.test>, relay=none, .*dsn=5\.4\.4, status=bounced \(Host or domain name not found\. Name service error for name=nowhere\.deadmx\.test type=A: Host not found\)$"
    pass "MX host without address: bounced (5.4.4)"
    send alice@local.test 24 u@eq.test >/dev/null || fail "send eq"
    wait_log "to=<u@eq\.test>, .*status=sent" 24 20
    n1=$(count_log "to=<u@eq\.test>, relay=one\.eq\.test\[127\.0\.0\.1\]:$SP, .*status=sent")
    n3=$(count_log "to=<u@eq\.test>, relay=three\.eq\.test\[127\.0\.0\.3\]:$SP, .*status=sent")
    [ "$n1" -ge 1 ] && [ "$n3" -ge 1 ] || fail "equal preference: both MX hosts used ($n1 / $n3)"
    pass "equal preference MX hosts shuffled ($n1 via one, $n3 via three)"
}

case_crash() {
    SP=$(free_port)
    setup "relayhost = [127.0.0.1]:$SP"
    sink sink "127.0.0.1:$SP"
    mta_start
    local loads=() k
    for k in 1 2 3 4; do
        $PY "$DATA/send.py" "$PORT" a@example.org 400 --tag=s$k x@example.net \
            > "$T/acked.$k" 2>/dev/null &
        loads+=($!)
    done
    # kill -9 the whole mail system while mail is being relayed
    for i in $(seq 100); do
        [ "$(sink_count sink)" -ge 50 ] && break
        sleep 0.05
    done
    kill -STOP -- "-$MASTER_PID" 2>/dev/null
    kill -KILL -- "-$MASTER_PID"
    for k in "${loads[@]}"; do wait "$k"; done
    acc=$(cat "$T"/acked.* | grep -c .)
    before=$(sink_count sink)
    [ "$acc" -gt 50 ] || fail "only $acc messages acknowledged before the kill"
    pass "$acc messages acknowledged, $before at the sink when SIGKILL hit"
    sleep 0.3
    mta_start
    for i in $(seq 600); do
        as_user "$BIN" queue -c "$T/etc" list | grep -q 'Mail queue is empty' && break
        sleep 0.1
    done
    as_user "$BIN" queue -c "$T/etc" list | grep -q 'Mail queue is empty' || fail "queue did not drain"
    grep -h '^X-Seq: ' "$T"/sink/* | awk '{print $2}' | sort > "$T/at_sink"
    cat "$T"/acked.* | sort -u > "$T/acked"
    lost=$(comm -23 "$T/acked" <(sort -u "$T/at_sink") | wc -l)
    dups=$(( $(wc -l < "$T/at_sink") - $(sort -u "$T/at_sink" | wc -l) ))
    echo "crash: acknowledged=$acc at_sink=$(wc -l < "$T/at_sink") lost=$lost duplicates=$dups"
    [ "$lost" = 0 ] || fail "$lost acknowledged messages lost"
    pass "no acknowledged message lost after SIGKILL during relay ($dups duplicates)"
}

case_rollover() {
    # segments of 16 KB: 400 messages from 8 sessions roll over ~20 times,
    # mostly inside a group commit; the records a group left at the end
    # of the old segment must reach qmgr with that commit, not when qmgr
    # cleans the segment up (they waited ~1-2 s before abfbe1c)
    export POSTERN_SEGMENT_BYTES=16384
    SP=$(free_port)
    setup "relayhost = [127.0.0.1]:$SP"
    sink sink "127.0.0.1:$SP"
    mta_start
    local loads=() k
    for k in 1 2 3 4 5 6 7 8; do
        send a@example.org 50 --tag=r$k x@example.net >/dev/null 2>&1 &
        loads+=($!)
    done
    for k in "${loads[@]}"; do wait "$k" || fail "send"; done
    wait_sink sink 400 30
    wait_log 'status=sent' 400
    # segment numbers count up from 1: the newest tells how many there were
    last=$(ls "$T"/queue/store/ | sed -n 's/^\([0-9A-F]*\)\.seg$/\1/p' | sort | tail -1)
    [ -n "$last" ] && [ $((16#$last)) -ge 10 ] || fail "only ${last:-no} segments: no roll-over to test"
    echo "rollover: $((16#$last)) segments" 
    worst=$(grep 'status=sent' "$T/maillog" | sed -n 's/.*delays=\([0-9.]*\)\/.*/\1/p' | sort -n | tail -1)
    echo "rollover: worst time before qmgr ${worst}s"
    awk -v w="$worst" 'BEGIN { exit !(w < 0.8) }' || fail "a message waited ${worst}s before qmgr saw it"
    pass "400 messages over ~20 segment roll-overs: none waited for qmgr (worst ${worst}s)"
}

case "$CASE" in
relay | reject | down | mx | crash | stale | rollover) "case_$CASE" ;;
*) echo "unknown case $CASE" >&2; exit 2 ;;
esac
