#!/usr/bin/env bash
# mta-relay-bench.sh - outbound relay rate: smtp-source -> Postern ->
# smtp-sink, all on 127.0.0.1, timed until every message is relayed.
#
#   bench/mta-relay-bench.sh [--postern BIN] [--count 5000] [--sessions 20]
#                            [--size 1024] [--runs 3]
#
# smtp-source sends COUNT messages over SESS parallel sessions (-s, -m);
# Postern accepts with its usual
# durability (fsync before 250) and relays through the smtp service with
# relayhost = [127.0.0.1]:SINKPORT; the clock stops when the maillog has
# COUNT "status=sent" lines. Prints one "result" line per run: accepted
# and relayed messages per second.
# A Postfix comparison is not run here (see docs/BENCHMARKS.md).
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BIN=$ROOT/build/bin/postern COUNT=5000 SESS=20 SIZE=1024 RUNS=3
while [ $# -gt 0 ]; do
    case "$1" in
        --postern) BIN=$2; shift 2 ;;
        --count) COUNT=$2; shift 2 ;;
        --sessions) SESS=$2; shift 2 ;;
        --size) SIZE=$2; shift 2 ;;
        --runs) RUNS=$2; shift 2 ;;
        -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
        *) echo "unknown option: $1" >&2; exit 2 ;;
    esac
done
for t in smtp-source smtp-sink; do
    command -v $t >/dev/null || { echo "$t not found (Debian package postfix)" >&2; exit 2; }
done
export BIN
. "$ROOT/tests/mta_lib.sh"
SINKPID=
trap '[ -n "$SINKPID" ] && kill $SINKPID 2>/dev/null; cleanup_instance' EXIT
for run in $(seq "$RUNS"); do
    SP=$(free_port)
    mta_setup "relayhost = [127.0.0.1]:$SP" "default_destination_concurrency_limit = 20"
    echo "smtp      unix  -       -       n      -      -       smtp" >> "$T/etc/master.cf"
    u=(); [ "$(id -u)" = 0 ] && u=(-u nobody)
    smtp-sink "${u[@]}" 127.0.0.1:$SP 1024 & SINKPID=$!
    sleep 0.3
    mta_start
    t0=$(date +%s.%N)
    smtp-source -s "$SESS" -m "$COUNT" -l "$SIZE" -f bench@example.org \
        -t rcpt@example.net 127.0.0.1:$PORT || echo "smtp-source failed" >&2
    t1=$(date +%s.%N)
    for i in $(seq 6000); do
        [ "$(grep -c 'status=sent' "$T/maillog")" -ge "$COUNT" ] && break
        sleep 0.05
    done
    t2=$(date +%s.%N)
    sent=$(grep -c 'status=sent' "$T/maillog")
    awk -v c="$COUNT" -v s="$sent" -v a="$t0" -v b="$t1" -v e="$t2" -v sz="$SIZE" -v r="$run" 'BEGIN {
        printf "result run=%d size=%d count=%d relayed=%d accepted_per_s=%.0f relayed_per_s=%.0f\n",
               r, sz, c, s, c / (b - a), s / (e - a) }'
    mta_stop
    kill $SINKPID 2>/dev/null; wait $SINKPID 2>/dev/null; SINKPID=
    rm -rf "$T"
done
