#!/bin/bash
# maps_peer_net.sh DRIVER OUTDIR - socketmap: and tcp: tables against a
# small real server (tests/maps_netserver.py, unix socket and loopback
# port under the test's directory): found, not found, a temporary failure
# of the server, a server that cannot be reached (a failure, never "not
# found"), each compared with what Postfix's postmap -q answers for the
# same table when it is installed.
drv=$1 base=$2
here=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3) || { echo "skip: python3 not installed"; exit 77; }
mkdir -p "$base" || exit 1
T=$(mktemp -d "$base/net.XXXXXX") || exit 1
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$T"; }
trap cleanup EXIT
AS=()
if [ "$(id -u)" = 0 ]; then
    AS=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
    chmod 755 "$T"; chown nobody "$T"
fi
start() { # start MODE ADDR NAME: the server, its port in $T/NAME.port
    "${AS[@]}" "$PY" "$here/maps_netserver.py" "$1" "$2" "$T/$3.port" \
        2>"$T/$3.log" &
    pids+=($!)
    for _ in $(seq 100); do [ -s "$T/$3.port" ] && return 0; sleep 0.1; done
    echo "skip: the $1 test server did not start: $(cat "$T/$3.log")"
    exit 77
}
start socketmap "$T/sock" sm
start tcp 127.0.0.1 tcp
port=$(cat "$T/tcp.port")
# a port nothing listens on: the server of the tcp table just stopped
start tcp 127.0.0.1 gone
gone=$(cat "$T/gone.port"); kill "${pids[2]}"; wait "${pids[2]}" 2>/dev/null

fail=0
# ours TABLE KEY: "found VALUE", "notfound" or "error", as a daemon sees it
ours() {
    local out
    out=$(echo "get $2" | "$drv" -F "$1" 2>/dev/null | sed -n 3p)
    case $out in
    "$2="*) echo "found ${out#"$2="}" ;;
    "$2: not found") echo notfound ;;
    "$2: error") echo error ;;
    *) echo "bad: $out" ;;
    esac
}
# postfix TABLE KEY: the same from Postfix's postmap -q
postfix() {
    local out rc
    out=$(MAIL_CONFIG=$T/pf /usr/sbin/postmap -q "$2" "$1" 2>"$T/pf.err")
    rc=$?
    if [ $rc = 0 ]; then echo "found $out"
    elif grep -q . "$T/pf.err"; then echo error
    else echo notfound; fi
}
if [ -x /usr/sbin/postmap ]; then mkdir -p "$T/pf" && : >"$T/pf/main.cf"; fi
check() { # check TABLE KEY EXPECTED
    local got
    got=$(ours "$1" "$2")
    if [ "$got" != "$3" ]; then
        echo "FAIL: $1 $2: got '$got', want '$3'"; fail=1
    else
        echo "ok: $1 $2: $got"
    fi
    if [ -x /usr/sbin/postmap ]; then
        got=$(postfix "$1" "$2")
        [ "$got" = "$3" ] || { echo "FAIL: Postfix says '$got' for $1 $2"; fail=1; }
    fi
}
sm=socketmap:unix:$T/sock:mymap
check "$sm" foo "found bar baz"
check "$sm" FOO notfound
check "$sm" nothing notfound
check "$sm" temp error
check "socketmap:unix:$T/sock:other" foo error
check "socketmap:inet:127.0.0.1:$gone:mymap" foo error
check "socketmap:unix:$T/nosock:mymap" foo error
tc=tcp:127.0.0.1:$port
check "$tc" foo "found bar baz"
check "$tc" 'a b' "found with%percent"
check "$tc" nothing notfound
check "$tc" FOO notfound
check "$tc" temp error
check "tcp:127.0.0.1:$gone" foo error
check environ:x HOME notfound
# a server that does not answer: an error after tcp:'s 10 s timeout (not
# compared with Postfix, which retries for minutes)
s0=$(date +%s)
got=$(ours "$tc" hang); s1=$(date +%s)
if [ "$got" = error ] && [ $((s1 - s0)) -ge 9 ] && [ $((s1 - s0)) -le 30 ]; then
    echo "ok: $tc hang: error after $((s1 - s0)) s"
else
    echo "FAIL: $tc hang: '$got' after $((s1 - s0)) s"; fail=1
fi
# several lookups on one connection
n=$(printf 'get foo\nget nothing\nget foo\n' | "$drv" "$sm" | grep -c '^foo=bar baz$')
[ "$n" = 2 ] || { echo "FAIL: two lookups on one socketmap connection: $n"; fail=1; }
exit $fail
