#!/bin/bash
# mta_multinode - two Postern MX nodes for one domain (issue 20,
# docs/SCALING.md): shared-nothing queues, one shared user directory.
#
# Three network namespaces made by the test (root only), joined by a
# bridge in the first, on TEST-NET-2 addresses:
#   hub 198.51.100.10: unbound (hosted.test MX 10 mx1, MX 10 mx2), the
#       user directory, an "edge" Postern that relays the load to
#       hosted.test by its MX records, and smtp-sink as the mail store
#   n1  198.51.100.1 (mx1), n2 198.51.100.2 (mx2): Postern nodes that
#       accept hosted.test for the users of the directory and relay to
#       the store
# The edge sends N messages; both nodes receive some (equal-preference
# MX hosts are shuffled). Mid-load node 1 is killed with SIGKILL (its
# deliveries are held to one a second, so acknowledged mail is in its
# queue): the edge keeps delivering through node 2, and node 1, started
# again, delivers what it had. At the end every message the edge
# accepted is in the store: nothing acknowledged is lost. Unknown users
# are refused at RCPT by both nodes (the directory is consulted).
#
# usage: mta_multinode.sh POSTERN [DIRECTORY]   DIRECTORY: texthash (default) or pgsql
set -u
BIN=$1
DIRTYPE=${2:-texthash}
. "$(dirname "$0")/mta_lib.sh"

[ "$(id -u)" = 0 ] || { echo "skip: network namespaces need root"; exit 77; }
for p in ip unbound smtp-sink; do
    command -v $p >/dev/null || { echo "skip: $p not installed"; exit 77; }
done
N=${N:-600}
HUB=pn$$h NS1=pn$$a NS2=pn$$b
HUBIP=198.51.100.10
T=$(mktemp -d /tmp/mta-test.XXXXXX)
chmod 755 "$T"

in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

stop_all() {
    local d pid
    for d in edge n1 n2; do
        [ -f "$T/$d/queue/pid/master.pid" ] || continue
        pid=$(tr -d ' ' < "$T/$d/queue/pid/master.pid" 2>/dev/null)
        [ -n "$pid" ] && kill -KILL -- "-$pid" 2>/dev/null
    done
    stop_pids
    ip netns del "$HUB" 2>/dev/null
    ip netns del "$NS1" 2>/dev/null
    ip netns del "$NS2" 2>/dev/null
    if [ -n "${KEEP:-}" ]; then echo "kept $T"; else rm -rf "$T"; fi
}
trap stop_all EXIT

# the network: a bridge in hub, one veth pair per node
ip netns add "$HUB" && ip netns add "$NS1" && ip netns add "$NS2" ||
    { echo "skip: cannot create network namespaces"; exit 77; }
ip -n "$HUB" link add br0 type bridge
ip -n "$HUB" link set br0 up
ip -n "$HUB" link set lo up
ip -n "$HUB" addr add $HUBIP/24 dev br0
for i in 1 2; do
    ns=$NS1; [ $i = 2 ] && ns=$NS2
    ip link add pn$$v$i type veth peer name pn$$p$i
    ip link set pn$$v$i netns "$ns"
    ip link set pn$$p$i netns "$HUB"
    ip -n "$HUB" link set pn$$p$i master br0
    ip -n "$HUB" link set pn$$p$i up
    ip -n "$ns" link set lo up
    ip -n "$ns" addr add 198.51.100.$i/24 dev pn$$v$i
    ip -n "$ns" link set pn$$v$i up
done
# the instances run as nobody and listen on port 25 and 53
for ns in "$HUB" "$NS1" "$NS2"; do
    in_ns "$ns" sysctl -qw net.ipv4.ip_unprivileged_port_start=0
done
for i in $(seq 50); do
    in_ns "$NS1" ping -c1 -W1 $HUBIP >/dev/null 2>&1 &&
        in_ns "$NS2" ping -c1 -W1 $HUBIP >/dev/null 2>&1 && break
    sleep 0.1
done
pass "namespaces $HUB ($HUBIP), $NS1 (198.51.100.1), $NS2 (198.51.100.2)"

# DNS: hosted.test has two equal MX hosts
cat > "$T/unbound.conf" <<UB
server:
    interface: $HUBIP
    port: 53
    access-control: 198.51.100.0/24 allow
    do-daemonize: no
    username: ""
    chroot: ""
    directory: "$T"
    pidfile: ""
    use-syslog: no
    logfile: "$T/unbound.log"
    do-ip6: no
    local-zone: "." refuse
    local-zone: "test." static
    local-data: "hosted.test. MX 10 mx1.hosted.test."
    local-data: "hosted.test. MX 10 mx2.hosted.test."
    local-data: "mx1.hosted.test. A 198.51.100.1"
    local-data: "mx2.hosted.test. A 198.51.100.2"
UB
chown -R nobody "$T"
ip netns exec "$HUB" "${AS[@]}" unbound -d -c "$T/unbound.conf" &
PIDS+=($!)
export POSTERN_DNS_RESOLVERS=$HUBIP:53

# the mail store the nodes deliver to
mkdir -p "$T/store"
chmod 777 "$T/store"
ip netns exec "$HUB" smtp-sink -u nobody -d "$T/store/%M." $HUBIP:2525 256 2>>"$T/sink.err" &
PIDS+=($!)

# the user directory
USERS="alice bob carol dave"
DIRSPEC=
dir_setup() {
    case $DIRTYPE in
    texthash)
        for u in $USERS; do echo "$u@hosted.test OK"; done > "$T/users"
        DIRSPEC=texthash:$T/users
        ;;
    pgsql)
        # one PostgreSQL for both nodes, on the hub's address: the nodes
        # reach it over the bridge, as MX nodes reach a shared directory
        PG_BIN=
        for d in /usr/lib/postgresql/*/bin; do [ -x "$d/postgres" ] && PG_BIN=$d; done
        [ -n "$PG_BIN" ] || { echo "skip: no PostgreSQL server installed"; exit 77; }
        mkdir -p "$T/pg" && chown nobody "$T/pg" && chmod 700 "$T/pg"
        "${AS[@]}" "$PG_BIN/initdb" -A trust -U nobody -E UTF8 --no-locale \
            -D "$T/pg/data" > "$T/pg/initdb.log" 2>&1 ||
            { echo "skip: initdb failed"; exit 77; }
        echo "host all all 198.51.100.0/24 trust" >> "$T/pg/data/pg_hba.conf"
        ip netns exec "$HUB" "${AS[@]}" "$PG_BIN/postgres" -D "$T/pg/data" \
            -k "$T/pg" -h $HUBIP -p 5432 -c fsync=off > "$T/pg/pg.log" 2>&1 &
        PIDS+=($!)
        for i in $(seq 100); do
            "${AS[@]}" "$PG_BIN/pg_isready" -q -h "$T/pg" -p 5432 && break
            sleep 0.1
        done
        psql() { "${AS[@]}" "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$T/pg" -p 5432 "$@"; }
        "${AS[@]}" "$PG_BIN/createdb" -h "$T/pg" -p 5432 mail || fail "createdb"
        psql -d mail -c "CREATE TABLE users (email text primary key)" || fail "create table"
        for u in $USERS; do psql -d mail -c "INSERT INTO users VALUES ('$u@hosted.test')"; done
        cat > "$T/users.cf" <<PG
hosts = inet:$HUBIP:5432
user = nobody
dbname = mail
query = SELECT 'OK' FROM users WHERE email='%s'
PG
        DIRSPEC=pgsql:$T/users.cf
        ;;
    esac
}
dir_setup

MASTER_CF_REST='pickup    unix  n       -       n      60     1       pickup
cleanup   unix  n       -       n      -      0       cleanup
qmgr      unix  n       -       n      300    1       qmgr
bounce    unix  -       -       n      -      0       bounce
defer     unix  -       -       n      -      0       bounce
error     unix  -       -       n      -      -       error
showq     unix  n       -       n      -      -       showq
smtp      unix  -       -       n      -      -       smtp
relay     unix  -       -       n      -      -       smtp'

# instance NAME HOSTNAME LISTEN MAIN.CF-LINES...
instance() {
    local d=$T/$1 host=$2 listen=$3
    shift 3
    mkdir -p "$d/etc"
    {
        cat <<CF
compatibility_level = 3.6
queue_directory = $d/queue
maillog_file = $d/maillog
myhostname = $host
mydomain = hosted.test
mydestination =
inet_interfaces = all
mynetworks = 127.0.0.0/8
smtpd_peername_lookup = no
service_throttle_time = 1s
smtp_connect_timeout = 2s
CF
        printf '%s\n' "$@"
    } > "$d/etc/main.cf"
    printf '%s inet n - n - - smtpd\n%s\n' "$listen" "$MASTER_CF_REST" > "$d/etc/master.cf"
    touch "$d/maillog"
    chown -R nobody "$d"
}
NODE_CF=("relay_domains = hosted.test"
    "relay_recipient_maps = $DIRSPEC"
    "transport_maps = inline:{hosted.test=smtp:[$HUBIP]:2525}"
    "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination")
instance n1 mx1.hosted.test 198.51.100.1:25 "${NODE_CF[@]}" \
    "default_destination_rate_delay = 1s"
instance n2 mx2.hosted.test 198.51.100.2:25 "${NODE_CF[@]}"
EPORT=$(free_port)
# a session cut after the final dot is deferred, not retried on the
# other MX (the message may have arrived: Postfix's rule); retried soon
instance edge edge.example.com 127.0.0.1:$EPORT \
    "smtpd_relay_restrictions = permit_mynetworks, reject" \
    "minimal_backoff_time = 1s" "maximal_backoff_time = 2s" "queue_run_delay = 1s"

start() { in_ns "$2" "${AS[@]}" "$BIN" start -c "$T/$1/etc" || fail "start $1"; }
start n1 "$NS1"
start n2 "$NS2"
start edge "$HUB"
pass "edge and two MX nodes started ($DIRTYPE directory)"

# both nodes consult the directory: an unknown user is refused
for ip in 198.51.100.1 198.51.100.2; do
    r=$(in_ns "$HUB" $PY - $ip <<'PY'
import smtplib, sys
s = smtplib.SMTP(sys.argv[1], 25, timeout=10)
s.ehlo("edge.test")
s.mail("x@example.com")
print(s.rcpt("mallory@hosted.test")[0], s.rcpt("alice@hosted.test")[0])
s.quit()
PY
)
    [ "$r" = "550 250" ] || fail "node $ip: unknown user refused, known accepted (got $r)"
done
pass "both nodes: 550 for a user not in the directory, 250 for alice"

# the load, through the edge; node 1 killed mid-way
ip netns exec "$HUB" env N=$N S=8 LOAD_RCPT=alice@hosted.test \
    $PY "$TESTDATA/smtpc.py" load "$T" "$EPORT" > "$T/accepted" 2> "$T/load.err" &
LOAD=$!
n1_got() { grep -c ': client=' "$T/n1/maillog"; }
n2_got() { grep -c ': client=' "$T/n2/maillog"; }
for i in $(seq 600); do
    [ "$(n1_got)" -ge 20 ] && break
    sleep 0.05
done
[ "$(n1_got)" -ge 20 ] || fail "node 1 received no share of the load (MX shuffling)"
N1PID=$(tr -d ' ' < "$T/n1/queue/pid/master.pid")
kill -STOP -- "-$N1PID"
kill -KILL -- "-$N1PID"
n1_at_kill=$(n1_got)
n2_at_kill=$(n2_got)
n1_sent_at_kill=$(grep -c 'status=sent' "$T/n1/maillog")
pass "node 1 killed with SIGKILL after accepting $n1_at_kill messages ($n1_sent_at_kill delivered)"
wait "$LOAD"
acc=$(grep -c . "$T/accepted")
[ "$acc" -ge $((N * 9 / 10)) ] || { cat "$T/load.err"; fail "the edge accepted only $acc of $N"; }
pass "the edge accepted $acc of $N messages"
# the edge delivers everything through node 2 meanwhile
for i in $(seq 600); do
    in_ns "$HUB" "${AS[@]}" "$BIN" queue -c "$T/edge/etc" list | grep -q 'Mail queue is empty' && break
    sleep 0.1
done
in_ns "$HUB" "${AS[@]}" "$BIN" queue -c "$T/edge/etc" list | grep -q 'Mail queue is empty' ||
    fail "the edge could not hand everything to the surviving node"
[ "$(n2_got)" -gt "$n2_at_kill" ] || fail "node 2 accepted nothing after node 1 died"
pass "node 2 kept accepting: $(( $(n2_got) - n2_at_kill )) messages after the kill"
[ "$n1_at_kill" -gt "$n1_sent_at_kill" ] ||
    fail "node 1 had nothing queued at the kill: the test proves no recovery"

# node 1 comes back at full speed and delivers what it acknowledged
sed -i '/^default_destination_rate_delay/d' "$T/n1/etc/main.cf"
start n1 "$NS1"
for i in $(seq 600); do
    in_ns "$NS1" "${AS[@]}" "$BIN" queue -c "$T/n1/etc" list | grep -q 'Mail queue is empty' && break
    sleep 0.1
done
in_ns "$NS1" "${AS[@]}" "$BIN" queue -c "$T/n1/etc" list | grep -q 'Mail queue is empty' ||
    fail "node 1 did not drain its queue after the restart"
pass "node 1 restarted and drained its queue"

# every message the edge acknowledged is in the store
sed -n 's/.*: message-id=<\(load[0-9]*\)@example.com>.*/\1/p' "$T/edge/maillog" | sort -u > "$T/edge.mid"
[ "$(wc -l < "$T/edge.mid")" -ge "$acc" ] || fail "edge message-id log lines"
sleep 0.5
grep -h -o '^Message-ID: <load[0-9]*' "$T"/store/* 2>/dev/null | sed 's/.*<//' | sort > "$T/store.all"
sort -u "$T/store.all" > "$T/store.mid"
lost=$(comm -23 "$T/edge.mid" "$T/store.mid" | wc -l)
dups=$(( $(wc -l < "$T/store.all") - $(wc -l < "$T/store.mid") ))
echo "multinode: accepted=$acc stored=$(wc -l < "$T/store.mid") lost=$lost duplicates=$dups node1=$(n1_got) node2=$(n2_got)"
[ "$lost" = 0 ] || fail "$lost acknowledged messages lost"
pass "every acknowledged message reached the store ($dups delivered twice: at-least-once across a crash)"
