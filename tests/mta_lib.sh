# mta_lib.sh - helpers for the MTA end-to-end tests (sourced).
#
# mta_setup NAME: a scratch instance under $T (etc/, queue/, mail/,
# maillog) on a free loopback port ($PORT). Everything runs as the
# current user, or as "nobody" when the tests run as root, so the
# unprivileged mode is what is tested. mta_start/mta_stop run the mail
# system; an EXIT trap stops whatever was started and removes $T.
set -u

BIN=$(readlink -f "${BIN:?BIN (the postern binary) must be set}")
BINDIR=$(cd "$(dirname "$BIN")" && pwd)
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TESTDATA=$HERE/../testdata/mta
PY=/usr/bin/python3
# DNS fence: the smtp agent asks this resolver (a closed loopback port)
# unless a test starts its own unbound, so a stray lookup (a bounce to
# example.org, a typo in a test) fails here instead of leaving the machine
export POSTERN_DNS_RESOLVERS=${POSTERN_DNS_RESOLVERS:-127.0.0.1:9}
[ -x "$PY" ] || PY=python3

if [ "$(id -u)" = 0 ]; then
    AS=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
    RUN_USER=nobody
else
    AS=()
    RUN_USER=$(id -un)
fi

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }

# free_port: a free port below the ephemeral range (32768-60999), so
# that no client connection of a parallel test can take it meanwhile
free_port() {
    $PY -c '
import random, socket
while True:
    p = random.randint(20000, 32000)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
        print(p)
        break
    except OSError:
        pass
    finally:
        s.close()'
}

MASTER_PID=
cleanup_instance() {
    if [ -n "${T:-}" ] && [ -d "$T/etc" ]; then
        "${AS[@]}" "$BIN" stop -c "$T/etc" >/dev/null 2>&1 &
        local sp=$!
        for _ in $(seq 50); do kill -0 "$sp" 2>/dev/null || break; sleep 0.1; done
        kill "$sp" 2>/dev/null
        local pid
        pid=$(tr -d ' ' 2>/dev/null < "$T/queue/pid/master.pid")
        [ -n "$pid" ] && kill -KILL -- "-$pid" 2>/dev/null
        [ -n "$MASTER_PID" ] && kill -KILL -- "-$MASTER_PID" 2>/dev/null
    fi
    if [ -n "${KEEP:-}" ]; then echo "kept $T"; else rm -rf "$T"; fi
}

# mta_setup [extra main.cf lines]
mta_setup() {
    T=$(mktemp -d /tmp/mta-test.XXXXXX)
    chmod 755 "$T"
    trap cleanup_instance EXIT
    PORT=$(free_port)
    mkdir -p "$T/etc" "$T/mail"
    cat > "$T/etc/main.cf" <<CF
compatibility_level = 3.6
queue_directory = $T/queue
maillog_file = $T/maillog
myhostname = mx.example.test
mydomain = example.test
myorigin = local.test
mydestination = local.test, localhost
mynetworks = 127.0.0.1/32
inet_interfaces = loopback-only
alias_maps = texthash:$T/etc/aliases
local_recipient_maps = \$alias_maps
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_peername_lookup = no
service_throttle_time = 1s
CF
    printf '%s\n' "$@" >> "$T/etc/main.cf"
    cat > "$T/etc/aliases" <<AL
alice: $T/mail/alice/
bob: $T/mail/bob.mbox
carol: $T/mail/carol/
team: alice, bob
postmaster: carol
nobodyhere: nosuchuser
AL
    cat > "$T/etc/master.cf" <<MC
# service type  private unpriv chroot wakeup maxproc command
127.0.0.1:$PORT inet n - n - - smtpd
pickup    unix  n       -       n      60     1       pickup
cleanup   unix  n       -       n      -      0       cleanup
qmgr      unix  n       -       n      300    1       qmgr
rewrite   unix  -       -       n      -      -       trivial-rewrite
bounce    unix  -       -       n      -      0       bounce
defer     unix  -       -       n      -      0       bounce
lmtp      unix  -       -       n      -      -       lmtp
showq     unix  n       -       n      -      -       showq
error     unix  -       -       n      -      -       error
discard   unix  -       -       n      -      -       discard
local     unix  -       n       n      -      -       local
smtp      unix  -       -       n      -      -       smtp
MC
    touch "$T/maillog"
    if [ "$(id -u)" = 0 ]; then chown -R nobody "$T"; fi
}

mta_start() {
    "${AS[@]}" "$BIN" start -c "$T/etc" 2> "$T/start.err" || {
        cat "$T/start.err" >&2; fail "postern start"; }
    MASTER_PID=$(tr -d ' ' < "$T/queue/pid/master.pid")
}

mta_stop() {
    "${AS[@]}" "$BIN" stop -c "$T/etc" 2>/dev/null || fail "postern stop"
}

# as_user CMD...: run a command as the instance user
as_user() { "${AS[@]}" "$@"; }

# wait_log PATTERN [COUNT] [SECONDS]: until the maillog has COUNT lines
wait_log() {
    local pat=$1 n=${2:-1} secs=${3:-10} i
    for i in $(seq $((secs * 20))); do
        [ "$(grep -cE -- "$pat" "$T/maillog")" -ge "$n" ] && return 0
        sleep 0.05
    done
    echo "--- maillog" >&2; tail -n 40 "$T/maillog" >&2
    fail "timeout waiting for $n x /$pat/ in maillog"
}

count_log() { grep -cE -- "$1" "$T/maillog"; }

# py SCRIPT ARGS: run a Python client from testdata/mta
py() { $PY "$TESTDATA/$1" "${@:2}"; }

# PIDS: helper processes a test started (sinks, resolvers); stop_pids
# ends them (tests call it from their EXIT trap)
PIDS=()
stop_pids() {
    local p
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
}

# unbound_start: a resolver on 127.0.0.1:$DNSPORT answering from the
# local-data in $T/dns.zone (lines "name. TYPE data"); "test." is a
# static zone, so any other name under it is NXDOMAIN, and every name
# outside it is refused: nothing recurses off the machine. The smtp
# agent is pointed at it (POSTERN_DNS_RESOLVERS).
unbound_start() {
    command -v unbound >/dev/null || { echo "skip: unbound not installed"; exit 77; }
    DNSPORT=$(free_port)
    {
        cat <<UB
server:
    interface: 127.0.0.1
    port: $DNSPORT
    do-daemonize: no
    username: ""
    chroot: ""
    directory: "$T"
    pidfile: ""
    use-syslog: no
    logfile: "$T/unbound.log"
    do-ip6: no
    # nothing but the test zone: any other name is refused here, so no
    # query can ever leave for the root servers
    local-zone: "." refuse
    outgoing-interface: 127.0.0.1
    local-zone: "test." static
UB
        while read -r line; do echo "    local-data: \"$line\""; done < "$T/dns.zone"
    } > "$T/unbound.conf"
    unbound -d -c "$T/unbound.conf" &
    PIDS+=($!)
    local i
    for i in $(seq 50); do
        $PY - "$DNSPORT" <<'PY' 2>/dev/null && break
import socket, sys
q = bytes.fromhex("1234010000010000000000000474657374000006") + b"\x00\x01"
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(0.2)
s.sendto(q, ("127.0.0.1", int(sys.argv[1]))); s.recv(512)
PY
        sleep 0.1
    done
    export POSTERN_DNS_RESOLVERS=127.0.0.1:$DNSPORT
}
