# mta_smtp_lib.sh - helpers of the SMTP client suites (tests/mta_smtp.sh,
# mta_smtp2.sh, mta_smtp3.sh, mta_sched.sh, mta_notify.sh), sourced after
# tests/mta_lib.sh. Exits 77 (skipped) when smtp-sink is not installed.
#
# setup [main.cf lines]      a Postern instance with the smtp service
# transport NAME [-o x=y...] one more smtp transport in master.cf
# route DOMAIN TRANSPORT:NEXTHOP  a transport_maps entry
# wait_port HOST PORT        until something accepts there (5 s)
# sink NAME ADDR:PORT [opts] smtp-sink, messages dumped to $T/NAME/
# pysink NAME ADDR PORT [CERT KEY]  testdata/mta_smtp/pysink.py into $T/NAME/
# sink_count NAME / wait_sink NAME COUNT [SECONDS]
# send ... / sendfile ...    testdata/mta_smtp's clients against $PORT
# A script's own EXIT work goes in stop_mine (default: stop_pids).
DATA=$HERE/../testdata/mta_smtp

SINK=$(command -v smtp-sink || echo /usr/sbin/smtp-sink)
[ -x "$SINK" ] || { echo "skip: smtp-sink (Debian package postfix) not installed"; exit 77; }

# a fence: no lookup goes to the system's resolver (an ignored port on
# loopback answers nothing); cases that need DNS start their own unbound
export POSTERN_DNS_RESOLVERS=127.0.0.1:9

stop_mine() { stop_pids; }
trap 'stop_mine; cleanup_instance' EXIT

setup() {
    mta_setup "$@"
    trap 'stop_mine; cleanup_instance' EXIT
}

transport() {
    local name=$1
    shift
    echo "$name unix - - n - - smtp $*" >> "$T/etc/master.cf"
}

route() {
    [ -f "$T/etc/transport" ] ||
        echo "transport_maps = texthash:$T/etc/transport" >> "$T/etc/main.cf"
    echo "$1 $2" >> "$T/etc/transport"
}

wait_port() {
    local i
    for i in $(seq 50); do
        $PY -c 'import socket,sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), 1).close()' \
            "$1" "$2" 2>/dev/null && return 0
        sleep 0.1
    done
    fail "nothing listens on [$1]:$2"
}

sink() {
    local name=$1 where=$2 u=()
    shift 2
    mkdir -p "$T/$name"
    chmod 777 "$T/$name"
    [ "$(id -u)" = 0 ] && u=(-u nobody)
    "$SINK" "${u[@]}" "$@" -d "$T/$name/%M." "$where" 256 2>>"$T/$name.err" &
    PIDS+=($!)
    wait_port "${where%:*}" "${where##*:}"
}

pysink() {
    mkdir -p "$T/$1"
    $PY "$DATA/pysink.py" "$2" "$3" "$T/$1" "${@:4}" 2>>"$T/$1.err" &
    PIDS+=($!)
    wait_port "$2" "$3"
}

# the messages only: smtp-sink's "MM.hex" dumps, pysink's "N-M.eml" (not its log)
sink_count() { find "$T/$1" -type f -name '*[0-9].*' ! -name log | wc -l; }
wait_sink() {
    local i
    for i in $(seq $((${3:-10} * 10))); do
        [ "$(sink_count "$1")" -ge "$2" ] && return 0
        sleep 0.1
    done
    tail -n 30 "$T/maillog" >&2
    fail "sink $1 has $(sink_count "$1") messages, want $2"
}

send() { $PY "$DATA/send.py" "$PORT" "$@"; }
sendfile() { $PY "$DATA/sendfile.py" "$PORT" "$@"; }

LOGRE='delay=[0-9.]+, delays=[0-9.]+/[0-9.]+/[0-9.]+/[0-9.]+'
