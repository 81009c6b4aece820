#!/usr/bin/env bash
# mta_sched.sh - end-to-end tests of qmgr's per-destination scheduling:
# slow start, dead destinations, rate delay, fairness, backoff.
#
#   mta_sched.sh BIN CASE
#
# Postern runs in a scratch directory (tests/mta_lib.sh) and relays to
# listeners on loopback high ports: testdata/mta_sched/sink.py (logs
# every connection and transaction with a timestamp, so concurrency can
# be read back) and Postfix's smtp-sink. Nothing leaves the machine;
# every process the test starts is stopped from the EXIT trap. Exit 77
# (skipped) when smtp-sink is missing.
set -u
BIN=$1
CASE=$2
. "$(dirname "$0")/mta_lib.sh"
. "$(dirname "$0")/mta_smtp_lib.sh"
SINKPY=$HERE/../testdata/mta_sched/sink.py

# pysink NAME PORT [sink.py options]: events in $T/NAME.log (the
# scheduling suite's own listener, not mta_smtp_lib's)
pysink() {
    local name=$1 port=$2
    shift 2
    $PY "$SINKPY" "$port" "$T/$name.log" "$@" 2>>"$T/$name.err" &
    PIDS+=($!)
    wait_port 127.0.0.1 "$port"
}

# smtpsink NAME PORT [smtp-sink options]: smtp-sink on 127.0.0.1:PORT,
# messages dumped to $T/NAME/
smtpsink() {
    local name=$1 port=$2
    shift 2
    sink "$name" "127.0.0.1:$port" "$@"
}

# events NAME EVENT: how many EVENT lines the sink logged
events() { grep -c " $2 " "$T/$1.log"; }
# maxconc NAME: most transactions in progress at once
maxconc() { awk '$2 == "mail" && $3 > m { m = $3 } END { print m + 0 }' "$T/$1.log"; }


LOGRE='delay=[0-9.]+, delays=[0-9.]+/[0-9.]+/[0-9.]+/[0-9.]+'

# slowstart: concurrency starts at initial_destination_concurrency (5)
# and grows with each successful cohort up to the limit (10 here)
case_slowstart() {
    SP=$(free_port)
    setup "relayhost = [127.0.0.1]:$SP" \
          "default_destination_concurrency_limit = 10" \
          "destination_concurrency_feedback_debug = yes"
    pysink slow "$SP" --delay 0.3
    mta_start
    send a@example.org 90 x@example.net >/dev/null || fail "send"
    wait_log 'status=sent' 90 40
    # until the first delivery completed, at most 5 at once
    first=$(awk '$2 == "done" { exit } $2 == "mail" && $3 > m { m = $3 } END { print m + 0 }' "$T/slow.log")
    max=$(maxconc slow)
    echo "first cohort: $first at once; most at once: $max"
    [ "$first" -ge 2 ] && [ "$first" -le 5 ] || fail "first cohort of $first (want 2..5)"
    [ "$max" = 10 ] || fail "concurrency reached $max, want the limit 10"
    pass "concurrency starts at most at 5 and grows to the limit (10), never past it"
    # Postfix's feedback debug lines: with the default feedback (1) the
    # window grows by one per delivery, 6 after the first
    wins=$(grep -oE "qmgr_queue_unthrottle: queue \[127\.0\.0\.1\]:$SP: limit 10 window [0-9]+" "$T/maillog" |
           awk '{print $NF}' | uniq | tr '\n' ' ')
    echo "windows: $wins"
    [ "$wins" = "6 7 8 9 10 " ] || fail "window steps: $wins"
    pass "window 5 -> 10 in steps of one (destination_concurrency_feedback_debug lines)"
}

# dead: a destination whose connections fail is declared dead after the
# first failed cohort; the rest of its mail is deferred as "delivery
# temporarily suspended" without connecting, until minimal_backoff_time
case_dead() {
    CP=$(free_port) RP=$(free_port)
    setup "transport_maps = texthash:\$config_directory/transport" \
          "minimal_backoff_time = 3s" "maximal_backoff_time = 6s"
    cat > "$T/etc/transport" <<TR
close.test smtp:[127.0.0.1]:$CP
down.test smtp:[127.0.0.1]:$RP
TR
    pysink close "$CP" --mode close
    base=$(events close conn)
    mta_start
    send a@example.org 20 u@close.test >/dev/null || fail "send close"
    wait_log "to=<u@close\.test>, .*status=deferred" 20 20
    sleep 0.5
    conns=$(( $(events close conn) - base ))
    tried=$(count_log "postfix/smtp\[.*to=<u@close\.test>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:$CP, $LOGRE, dsn=4\.4\.2, status=deferred \(lost connection with 127\.0\.0\.1\[127\.0\.0\.1\] while receiving the initial server greeting\)$")
    susp=$(count_log "postfix/qmgr\[.*to=<u@close\.test>, relay=none, $LOGRE, dsn=4\.4\.2, status=deferred \(delivery temporarily suspended: lost connection with 127\.0\.0\.1\[127\.0\.0\.1\] while receiving the initial server greeting\)$")
    echo "close.test: $conns connections, $tried tried, $susp suspended"
    [ "$conns" -ge 1 ] && [ "$conns" -le 8 ] || fail "$conns connection attempts (want one failed cohort, <= 8)"
    [ "$tried" = "$conns" ] || fail "$tried agent lines for $conns connections"
    [ $((tried + susp)) = 20 ] || fail "$tried tried + $susp suspended != 20"
    pass "greeting lost: dead after $conns attempts, $susp deferred without connecting"
    sleep 1
    [ "$(( $(events close conn) - base ))" = "$conns" ] || fail "connections while dead"
    pass "no connection while the destination is dead"
    # a flush (postqueue -f) gives dead destinations another chance now
    as_user "$BIN" queue -c "$T/etc" flush || fail "queue flush"
    for i in $(seq 20); do
        [ "$(( $(events close conn) - base ))" -gt "$conns" ] && break
        sleep 0.05
    done
    [ "$(( $(events close conn) - base ))" -gt "$conns" ] || fail "no new try after flush"
    pass "queue flush revives the dead destination at once"

    # the same with connection refused: Postfix's text
    send a@example.org 10 u@down.test >/dev/null || fail "send down"
    wait_log "to=<u@down\.test>, .*status=deferred" 10 20
    wait_log "postfix/qmgr\[[0-9]+\]: [0-9A-F]+: to=<u@down\.test>, relay=none, $LOGRE, dsn=4\.4\.1, status=deferred \(delivery temporarily suspended: connect to 127\.0\.0\.1\[127\.0\.0\.1\]:$RP: Connection refused\)$"
    pass "connection refused: Postfix's \"delivery temporarily suspended: connect to ...\" line"

    # the destination comes back: the deferred mail goes out on retry
    smtpsink up "$RP"
    wait_log "to=<u@down\.test>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:$RP, .*status=sent" 10 30
    [ "$(sink_count up)" = 10 ] || fail "$(sink_count up) at the sink, want 10"
    pass "after minimal_backoff_time the destination is retried and gets all 10"
}

# ratedelay: default_destination_rate_delay = 1s: one delivery at a time
# per destination, a second apart; another destination is not held up
case_ratedelay() {
    SP=$(free_port) OP=$(free_port)
    setup "transport_maps = texthash:\$config_directory/transport" \
          "default_destination_rate_delay = 1s"
    cat > "$T/etc/transport" <<TR
rate.test smtp:[127.0.0.1]:$SP
other.test smtp:[127.0.0.1]:$OP
TR
    pysink rate "$SP"
    pysink other "$OP"
    mta_start
    send a@example.org 3 u@rate.test >/dev/null || fail "send"
    send a@example.org 3 u@other.test >/dev/null || fail "send"
    wait_log "to=<u@rate\.test>, .*status=sent" 3 20
    wait_log "to=<u@other\.test>, .*status=sent" 3 20
    gaps=$(awk '$2 == "mail" { if (p) printf "%.2f ", $1 - p; p = $1 }' "$T/rate.log")
    echo "gaps between deliveries to rate.test: $gaps"
    [ "$(maxconc rate)" = 1 ] || fail "concurrency $(maxconc rate) with a rate delay"
    for g in $gaps; do
        awk -v g="$g" 'BEGIN { exit !(g >= 0.95) }' || fail "deliveries $g s apart (want >= 1 s)"
    done
    [ "$(echo $gaps | wc -w)" = 2 ] || fail "3 deliveries to rate.test"
    pass "rate delay: one at a time, >= 1 s apart"
    # the two destinations were served side by side
    r0=$(awk '$2 == "mail" { print $1; exit }' "$T/rate.log")
    o0=$(awk '$2 == "mail" { print $1; exit }' "$T/other.log")
    awk -v a="$r0" -v b="$o0" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d < 1) }' ||
        fail "other.test waited for rate.test"
    pass "the delay is per destination"
}

# fairness: 2000 messages for a slow destination, then one for another:
# the small one is delivered at once, not after the bulk
case_fairness() {
    BP=$(free_port) SP=$(free_port)
    setup "transport_maps = texthash:\$config_directory/transport"
    cat > "$T/etc/transport" <<TR
bulk.test smtp:[127.0.0.1]:$BP
small.test smtp:[127.0.0.1]:$SP
TR
    smtpsink bulk "$BP" -w 1
    smtpsink small "$SP"
    mta_start
    local k loads=()
    for k in 1 2 3 4; do
        send a@example.org 500 --tag=b$k u@bulk.test >/dev/null &
        loads+=($!)
    done
    for k in "${loads[@]}"; do wait "$k" || fail "send bulk"; done
    t0=$(date +%s.%N)
    send a@example.org 1 u@small.test >/dev/null || fail "send small"
    for i in $(seq 100); do
        [ "$(sink_count small)" -ge 1 ] && break
        sleep 0.05
    done
    t1=$(date +%s.%N)
    [ "$(sink_count small)" = 1 ] || fail "small.test not delivered within 5 s"
    bulk=$(sink_count bulk)
    echo "small.test delivered after $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s; bulk.test has $bulk of 2000"
    [ "$bulk" -lt 1000 ] || fail "bulk went too fast to tell ($bulk)"
    pass "one message for small.test overtakes 2000 queued for a slow bulk.test"
}

# starve: the smtp service has 3 processes, all busy with bulk.test; a
# message for small.test still gets one within a few seconds
case_starve() {
    BP=$(free_port) SP=$(free_port)
    setup "transport_maps = texthash:\$config_directory/transport"
    sed -i 's/^smtp .*/smtp      unix  -       -       n      -      3       smtp/' "$T/etc/master.cf"
    cat > "$T/etc/transport" <<TR
bulk.test smtp:[127.0.0.1]:$BP
small.test smtp:[127.0.0.1]:$SP
TR
    pysink bulk "$BP" --delay 0.25
    smtpsink small "$SP"
    mta_start
    send a@example.org 300 u@bulk.test >/dev/null || fail "send bulk"
    sleep 1
    [ "$(maxconc bulk)" = 3 ] || fail "bulk.test uses $(maxconc bulk) of the 3 processes"
    t0=$(date +%s.%N)
    send a@example.org 1 u@small.test >/dev/null || fail "send small"
    for i in $(seq 100); do
        [ "$(sink_count small)" -ge 1 ] && break
        sleep 0.05
    done
    t1=$(date +%s.%N)
    [ "$(sink_count small)" = 1 ] || fail "small.test starved (not delivered within 5 s)"
    done_bulk=$(events bulk done)
    echo "small.test delivered after $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s; bulk.test has $done_bulk of 300"
    [ "$done_bulk" -lt 250 ] || fail "bulk went too fast to tell ($done_bulk)"
    pass "all agent processes busy with bulk.test: small.test still gets its turn"
}

# backoff: a deferred message is retried after its time in the queue,
# at least minimal_backoff_time and at most maximal_backoff_time (as
# Postfix: the gaps double, min, min, 2 min, ... up to the maximum), and
# goes out when the destination is back
case_backoff() {
    SP=$(free_port)
    setup "relayhost = [127.0.0.1]:$SP" \
          "minimal_backoff_time = 1s" "maximal_backoff_time = 4s"
    mta_start
    send a@example.org 1 x@example.net >/dev/null || fail "send"
    wait_log "to=<x@example\.net>, .*status=deferred" 5 25
    # the times of the attempts: the message's delay= in each line
    grep -E "to=<x@example\.net>, .*status=deferred" "$T/maillog" | head -5 |
        grep -oE 'delay=[0-9.]+' | cut -d= -f2 > "$T/delays"
    gaps=$(awk 'NR > 1 { printf "%.1f ", $1 - p } { p = $1 }' "$T/delays")
    echo "retry gaps: $gaps (qmgr looks at due messages once a second)"
    set -- $gaps
    # growing (never shrinking), starting near the minimum, ending at
    # the maximum (plus up to a second of timer granularity)
    awk -v a="$1" -v b="$2" -v c="$3" -v d="$4" 'BEGIN {
        exit !(a >= 0.9 && a < 2.5 && b >= a - 0.3 && c >= b - 0.3 && d >= c - 0.3 &&
               d >= 3.9 && d < 5.5 && d >= a + 1.5) }' ||
        fail "retry gaps $gaps (want growing from about 1 s to 4 s)"
    pass "retry gaps grow from minimal_backoff_time to maximal_backoff_time"
    smtpsink up "$SP"
    wait_log "to=<x@example\.net>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:$SP, .*status=sent" 1 15
    wait_log ': removed' 1
    pass "delivered on the next retry once the destination is back"
}

case "$CASE" in
slowstart | dead | ratedelay | fairness | starve | backoff) "case_$CASE" ;;
*) echo "unknown case $CASE" >&2; exit 2 ;;
esac
