#!/usr/bin/env bash
# relay-ab.sh - two Postern builds relaying the same load alternately
# (A, B, A, B, ...): is a change faster? Noise on a shared machine moves
# whole runs by 10-15 %, so only pairs measured back to back say much.
#
#   bench/relay-ab.sh [--pairs 3] [--size 1024] [--count 20000] A_BIN B_BIN
#
# Each run is `bench/relay-compare.sh --postern BIN --no-postfix
# --no-direct --rounds 1 --sizes SIZE` (smtp-source, 20 sessions, a new
# connection per message -> Postern -> smtp-sink; see that script). Per
# run it prints the delivered rate, Postern's CPU per message (its
# cgroup), the whole machine's CPU seconds and its context switches per
# message (from /proc/stat, warm-up included). Needs root, like
# relay-compare.sh. Environment variables reach Postern (e.g.
# POSTERN_SMTPD_SESSIONS=N for both builds).
set -u
usage() { awk 'NR > 2 && !/^#/ { exit } NR > 2 { sub(/^# ?/, ""); print }' "$0"; }
PAIRS=3 SIZE=1024 COUNT=20000
while [ $# -gt 0 ]; do
    case $1 in
        --pairs) PAIRS=$2; shift 2 ;;
        --size) SIZE=$2; shift 2 ;;
        --count) COUNT=$2; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        -*) echo "relay-ab.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
        *) break ;;
    esac
done
[ $# -eq 2 ] || { usage >&2; exit 2; }
A=$1 B=$2
for b in "$A" "$B"; do
    [ -x "$b" ] || { echo "relay-ab.sh: $b: not an executable" >&2; exit 2; }
done
HERE=$(cd "$(dirname "$0")" && pwd)
ctxt() { awk '$1 == "ctxt" { print $2 }' /proc/stat; }
rc=0
for i in $(seq "$PAIRS"); do
    for t in A B; do
        bin=$A
        [ "$t" = B ] && bin=$B
        c0=$(ctxt)
        out=$("$HERE/relay-compare.sh" --postern "$bin" --no-postfix --no-direct \
            --rounds 1 --sizes "$SIZE" --count-small "$COUNT" --count-large "$COUNT" 2>&1)
        c1=$(ctxt)
        line=$(printf '%s\n' "$out" | grep 'tag=round-1')
        if [ -z "$line" ]; then
            printf '%s\n' "$out" | tail -5 >&2
            echo "relay-ab.sh: run $t/$i failed" >&2
            rc=1
            continue
        fi
        # warm-up: count/10, at least 100 messages
        warm=$((COUNT / 10 < 100 ? 100 : COUNT / 10))
        printf '%s pair=%d %s ctxt_per_msg=%d\n' "$t" "$i" \
            "$(printf '%s\n' "$line" | grep -oE '(delivered_per_s|cpu_mta_per_msg_us|cpu_machine_s|complete)=[^ ]*' | tr '\n' ' ')" \
            $(((c1 - c0) / (COUNT + warm)))
    done
done
exit $rc
