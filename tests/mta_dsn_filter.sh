#!/bin/bash
# mta_dsn_filter - <agent>_delivery_status_filter (Postfix's dsn_filter):
# a "dsn text" match in the table replaces a delivery's status code and
# text before it is logged, reported and acted on; a failure may become
# another failure (mailcow turns 4.x.x TLS deferrals into bounces this
# way, on a transport with -o smtp_delivery_status_filter=...), a success
# stays a success, and a result that breaks that rule is logged and
# ignored. smtp-sinks on loopback give the replies.
#
# usage: mta_dsn_filter.sh POSTERN
set -u
BIN=$1
. "$(dirname "$0")/mta_lib.sh"
. "$(dirname "$0")/mta_smtp_lib.sh"

S1=$(free_port) S2=$(free_port) S3=$(free_port)
setup
cat > "$T/etc/dsn_filter" <<'RX'
/^4\.7\.1 (.*)/        5.7.1 $1
/^2\.0\.0 .*/          2.0.0 accepted by the relay
/^5\.1\.1 .*/          2.0.0 this must not turn a bounce into a success
RX
transport filtered -o smtp_delivery_status_filter=regexp:$T/etc/dsn_filter
route soft.test "filtered:[127.0.0.1]:$S1"
route soft2.test "smtp:[127.0.0.1]:$S1"
route good.test "filtered:[127.0.0.1]:$S2"
route hard.test "filtered:[127.0.0.1]:$S3"
sink soft "127.0.0.1:$S1" -r RCPT -b '451 4.7.1 Try again later'
sink good "127.0.0.1:$S2"
sink hard "127.0.0.1:$S3" -f RCPT -B '550 5.1.1 No such user here'
chown -R "$RUN_USER" "$T/etc"
mta_start
for d in soft soft2 good hard; do
    send alice@local.test 1 "u@$d.test" >/dev/null || fail "send to $d.test"
done
wait_log "to=<u@soft\.test>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:$S1, $LOGRE, dsn=5\.7\.1, status=bounced \(host 127\.0\.0\.1\[127\.0\.0\.1\] said: 451 4\.7\.1 Try again later \(in reply to RCPT TO command\)\)$"
pass "4.7.1 deferral mapped to a 5.7.1 bounce (same text)"
wait_log "to=<u@soft2\.test>, .*dsn=4\.7\.1, status=deferred"
pass "the same reply on a transport without the filter: deferred"
wait_log "to=<u@good\.test>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:$S2, $LOGRE, dsn=2\.0\.0, status=sent \(accepted by the relay\)$"
pass "a success's text replaced"
wait_log "to=<u@hard\.test>, .*dsn=5\.1\.1, status=bounced \(host"
wait_log "warning: smtp_delivery_status_filter: bad status code: 2\.0\.0 this must not turn a bounce into a success"
pass "a failure mapped to a success: warned and ignored"
# the bounce for soft.test reaches the sender with the filtered code
for i in $(seq 100); do
    grep -l 'Status: 5.7.1' "$T"/mail/alice/new/* >/dev/null 2>&1 && break
    sleep 0.1
done
grep -l 'Status: 5.7.1' "$T"/mail/alice/new/* >/dev/null 2>&1 || fail "bounce with Status: 5.7.1"
pass "the non-delivery report carries the filtered status"
