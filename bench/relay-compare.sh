#!/usr/bin/env bash
# shellcheck disable=SC2317  # cleanup helpers run from the EXIT trap
# relay-compare.sh - relay throughput, Postern against Postfix (issue 6):
# smtp-source -> MTA on 127.0.0.1 -> smtp-sink on 127.0.0.1, end to end,
# the two MTAs measured alternately in the same run.
#
#   bench/relay-compare.sh [--postern BIN] [--rounds 3] [--sizes "1024 102400"]
#                          [--count-small 20000] [--count-large 2000]
#                          [--sessions 20] [--warmup N] [--timeout 900]
#                          [--no-postfix] [--no-direct] [--md FILE] [--keep DIR]
#                          [--sink-nice N]
#
# Needs root (cgroups, the Postfix instance, daemons that drop to the
# "postfix" user), smtp-source/smtp-sink and, for the comparison, the
# Debian postfix package (binaries only; /etc/postfix is only read, the
# system queue is never used). Install it without any configuration:
#   echo 'postfix postfix/main_mailer_type select No configuration' \
#       | debconf-set-selections && apt-get install -y postfix
# Without Postfix the script says so and measures Postern alone.
#
# Set-up: a scratch directory (mktemp -d /tmp/relay-compare.XXXXXX) holds
# two instances, each with its own free loopback port, its own smtp-sink
# -c (counting only) and its own cgroup (v2, else v1 cpuacct) so that the
# CPU of the whole daemon tree, exited children included, is exact. Both
# get the same main.cf shape: relayhost = default_transport =
# relay_transport = [127.0.0.1]:SINKPORT (the only next hop; Postfix also
# smtp_dns_support_level = disabled), concurrency 20 to the sink, TLS off
# on both sides, no peer-name lookups, no bounces sent anywhere. Same
# durability: neither replies 250 to DATA before the message is on stable
# storage (Postfix fsyncs its queue file, Postern fdatasyncs its segment),
# and neither records a delivery before the sink's 250.
#
# For every size (sizes up to 10240 bytes send --count-small messages per
# run, larger ones --count-large): one warm-up run per MTA (--warmup N
# messages, default count/10, at least 100), then --rounds rounds of
# "Postern, then Postfix", each run
# `smtp-source -s SESSIONS -m COUNT -l SIZE` (a new connection per
# message). Per run: accepted/s = COUNT / time until smtp-source exits
# (every message had its 250); delivered/s = COUNT / time from the same
# start until the sink has counted COUNT more messages; MTA CPU = the
# cgroup's usage from the start until 0.5 s after the last message reached
# the sink (so trailing work such as queue clean-up counts), also per
# message (µs); machine CPU = busy CPU-seconds of the whole box from the
# start until the last message reached the sink (/proc/stat; it includes
# smtp-source, smtp-sink and anything else running); complete =
# the sink got exactly COUNT messages and smtp-source succeeded. After an
# incomplete run the script stops measuring (the next run would count its
# stragglers) and goes straight to the summary.
#
# Output: one "result ..." line per run, then a Markdown block (per-run
# table, medians per MTA and size, ratios Postern/Postfix) for
# docs/BENCHMARKS.md. Unless --no-direct, each size also gets one run of
# smtp-source straight into a third smtp-sink (no MTA, tag "direct"): the
# load generator's own ceiling on this machine, which bounds any relay.
# Exit status 0 when every run was complete, 1 when one
# was not, 2 on a usage or set-up error.
#
# --sink-nice N runs every smtp-sink at nice N (-20..19, e.g. -10) for
# both MTAs and the direct run alike. The sink is one single-threaded
# process; on a 2-CPU box the MTA's many processes and smtp-source take
# most of its share of the CPU under the kernel's fair scheduler, so the
# relay rate can end up bounded by the starved sink rather than by the
# MTA. A negative nice models a receiving server with CPUs of its own.
# Default: no change (nice 0; the primary figures).
#
# For A/B experiments, POSTERN_EXTRA_CF (environment) holds main.cf lines
# appended to Postern's instance only, e.g.
#   POSTERN_EXTRA_CF='smtp_connection_cache_on_demand = no' bench/relay-compare.sh --no-postfix
# The Markdown header then names them, as such figures are not comparable.
#
# Everything the script starts is stopped by its EXIT trap: the MTAs by
# their own stop command, then SIGKILL for any PID still in *its own*
# cgroups, the sinks by PID; the scratch directory is removed (--keep DIR
# copies it first).
#
# Adapted from the reference scripts ../shared/bench/{lib-instance.sh,
# postfix-instance.sh,mta-bench.sh} (cgroup helpers, the isolated Postfix
# configuration, the sink counting) and ../shared/notes/baselines.md
# (pitfalls); it does not use them at run time.
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
# the isolated Postfix instance: the tests' peer helper
. "$ROOT/tests/postfix_peer.sh"
. "$HERE/cgroup_lib.sh"
POSTERN=$ROOT/build/bin/postern
ROUNDS=3 SIZES="1024 102400" NSMALL=20000 NLARGE=2000 SESS=20 WARM='' TIMEOUT=900
NOPF='' NODIRECT='' MDFILE='' KEEP='' SINK_NICE=0
usage() { awk 'NR > 2 && !/^#/ { exit } NR > 2 { sub(/^# ?/, ""); print }' "$0"; }
die() { echo "relay-compare.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
    case "$1" in
        --postern|--rounds|--sizes|--count-small|--count-large|--sessions|--warmup|--timeout|--md|--keep|--sink-nice)
            [ $# -ge 2 ] || die "$1 needs a value" ;;
    esac
    case "$1" in
        --postern) POSTERN=$2; shift 2 ;;
        --rounds) ROUNDS=$2; shift 2 ;;
        --sizes) SIZES=$2; shift 2 ;;
        --count-small) NSMALL=$2; shift 2 ;;
        --count-large) NLARGE=$2; shift 2 ;;
        --sessions) SESS=$2; shift 2 ;;
        --warmup) WARM=$2; shift 2 ;;
        --timeout) TIMEOUT=$2; shift 2 ;;
        --no-postfix) NOPF=1; shift ;;
        --no-direct) NODIRECT=1; shift ;;
        --md) MDFILE=$2; shift 2 ;;
        --keep) KEEP=$2; shift 2 ;;
        --sink-nice) SINK_NICE=$2; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "relay-compare.sh: unknown option: $1 (see --help)" >&2; exit 2 ;;
    esac
done
case $SINK_NICE in
    -[0-9]|-1[0-9]|-20|[0-9]|1[0-9]) ;;
    *) die "--sink-nice: not a nice value from -20 to 19: '$SINK_NICE'" ;;
esac
# positive integers only (a count of 0 would divide by zero)
isnum() { case "$1" in ''|*[!0-9]*|0*) return 1 ;; esac; }
for v in "$ROUNDS" "$NSMALL" "$NLARGE" "$SESS" "$TIMEOUT" ${WARM:+"$WARM"} $SIZES; do
    isnum "$v" || die "not a positive number: '$v'"
done
[ -n "$SIZES" ] || die "--sizes is empty"
[ "$(id -u)" = 0 ] || die "must run as root (cgroups, Postfix instance, privilege drop)"
for t in smtp-source smtp-sink python3 awk; do
    command -v $t >/dev/null || die "$t not found (smtp-source/smtp-sink: Debian package postfix)"
done
POSTERN=$(readlink -f "$POSTERN")
[ -x "$POSTERN" ] || die "no postern binary at $POSTERN (build: cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo && cmake --build build -j2)"
id postfix >/dev/null 2>&1 && MAIL_OWNER=postfix || MAIL_OWNER=nobody
if [ -z "$NOPF" ]; then
    PFDAEMON=$(postconf -dh daemon_directory 2>/dev/null || true)
    if ! command -v postfix >/dev/null || [ ! -x "${PFDAEMON:-/nonexistent}/master" ] \
        || ! id postfix >/dev/null 2>&1 || ! getent group postdrop >/dev/null; then
        echo "relay-compare.sh: Postfix is not installed: SKIPPING Postfix, Postern only." >&2
        echo "  install it with: echo 'postfix postfix/main_mailer_type select No configuration'" \
             "| debconf-set-selections && apt-get install -y postfix" >&2
        NOPF=1
    fi
fi
PFVER=$( [ -z "$NOPF" ] && postconf -dh mail_version 2>/dev/null || echo -)

# --- scratch directory, cgroups, cleanup ------------------------------------
W=$(mktemp -d /tmp/relay-compare.XXXXXX) || die "mktemp failed"
chmod 755 "$W"
PN=$W/postern PF=$W/postfix
CG_PN='' CG_PF='' SINK_PN='' SINK_PF='' SINK_DR='' SRC_PID=''

stop_sink() {
    [ -n "$1" ] && kill "$1" 2>/dev/null && wait "$1" 2>/dev/null
    return 0
}
cleanup() {
    trap - EXIT INT TERM
    stop_sink "$SRC_PID"                # a running smtp-source, by PID
    if [ -d "$PN/etc" ]; then
        timeout 20 "$POSTERN" stop -c "$PN/etc" >/dev/null 2>&1
        cg_drain "$CG_PN"
    fi
    if [ -d "$PF/etc" ]; then
        pf_stop "$PF"
        cg_drain "$CG_PF"
    fi
    stop_sink "$SINK_PN"; stop_sink "$SINK_PF"; stop_sink "$SINK_DR"
    if [ -n "$KEEP" ]; then mkdir -p "$KEEP" && cp -r "$W"/. "$KEEP"/ && echo "kept in $KEEP" >&2; fi
    rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# a private copy of the binary: a rebuild of build/ during the run cannot
# mix two executables
{ mkdir "$W/bin" && cp "$POSTERN" "$W/bin/postern"; } || die "cannot copy $POSTERN"
POSTERN_SRC=$POSTERN POSTERN=$W/bin/postern

CGR=$(cg_root)
[ -n "$CGR" ] || die "no writable cgroup hierarchy (v2, or v1 cpuacct) under /sys/fs/cgroup"
CG_PN=$CGR/relay-compare-$$-postern
mkdir "$CG_PN" || die "cannot create $CG_PN"
if [ -z "$NOPF" ]; then
    CG_PF=$CGR/relay-compare-$$-postfix
    mkdir "$CG_PF" || die "cannot create $CG_PF"
fi

# free_port: a free loopback port below the ephemeral range, not one of
# those already picked ($USED)
USED=" "
free_port() {
    local p
    while :; do
        p=$(python3 -c '
import random, socket
while True:
    p = random.randint(20000, 32000)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p)); print(p); break
    except OSError:
        pass
    finally:
        s.close()')
        case "$USED" in *" $p "*) continue ;; esac
        USED="$USED$p "; echo "$p"; return
    done
}
# alive PID: running and not a zombie
alive() { kill -0 "$1" 2>/dev/null && [ "$(ps -o stat= -p "$1" | cut -c1)" != Z ]; }
wait_listen() {
    for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done
    return 1
}
PN_PORT=$(free_port); USED="$USED$PN_PORT "
PN_SINK=$(free_port); USED="$USED$PN_SINK "
PF_PORT=$(free_port); USED="$USED$PF_PORT "
PF_SINK=$(free_port); USED="$USED$PF_SINK "
DR_SINK=$(free_port); USED="$USED$DR_SINK "

# start_sink PORT OUTFILE VAR: smtp-sink -c (counts only, 1024 backlog),
# as nobody, a child of this shell; its PID goes to VAR. Fails unless the
# sink itself is listening (not someone else who took the port meanwhile).
start_sink() {
    nice -n "$SINK_NICE" smtp-sink -u nobody -c "127.0.0.1:$1" 1024 > "$2" 2> "$2.err" &
    printf -v "$3" '%s' "$!"
    # a sink that failed to bind says "fatal" and exits a second later (as
    # an unreaped zombie: kill -0 alone is not enough)
    if ! wait_listen "$1" || ! sleep 1.2 || ! alive "${!3}" || grep -q fatal "$2.err"; then
        die "smtp-sink on 127.0.0.1:$1 did not start: $(cat "$2.err")"
    fi
}
# sink_count OUTFILE: messages counted so far ("sess=.. quit=.. mesg=N\r")
sink_count() {
    tail -c 120 "$1" 2>/dev/null | awk -v RS='\r' '
        match($0, /mesg=[0-9]+/) { n = substr($0, RSTART + 5, RLENGTH - 5) }
        END { print n + 0 }'
}

# common main.cf lines: the same shape for both MTAs
common_cf() { # $1 = instance dir, $2 = sink port
    cat <<EOF
compatibility_level = 3.6
myhostname = mta.bench.test
mydomain = bench.test
myorigin = \$myhostname
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
mydestination =
relay_domains =
local_recipient_maps =
alias_maps =
alias_database =
biff = no
smtpd_relay_restrictions = permit_mynetworks, reject
smtpd_recipient_restrictions =
smtpd_peername_lookup = no
smtpd_tls_security_level = none
smtp_tls_security_level = none
# every message goes to this instance's smtp-sink, and nowhere else
relayhost = [127.0.0.1]:$2
default_transport = smtp:[127.0.0.1]:$2
relay_transport = smtp:[127.0.0.1]:$2
smtp_dns_support_level = disabled
smtp_host_lookup = native
smtp_fallback_relay =
default_destination_concurrency_limit = 20
smtp_destination_concurrency_limit = 20
notify_classes =
EOF
}

# --- Postern instance ----------------------------------------------------------
mkdir -p "$PN/etc" "$PN/log"
{
    echo "# generated by bench/relay-compare.sh -- Postern benchmark instance"
    common_cf "$PN" "$PN_SINK"
    echo "queue_directory = $PN/spool"
    echo "maillog_file = $PN/log/maillog"
    echo "mail_owner = $MAIL_OWNER"
    [ -z "${POSTERN_EXTRA_CF:-}" ] || printf '%s\n' "$POSTERN_EXTRA_CF"
} > "$PN/etc/main.cf"
# master.cf: Postfix's service list as far as Postern implements it
cat > "$PN/etc/master.cf" <<EOF
127.0.0.1:$PN_PORT inet n  -       n      -      -       smtpd
pickup     unix  n       -       n      60     1       pickup
cleanup    unix  n       -       n      -      0       cleanup
qmgr       unix  n       -       n      300    1       qmgr
rewrite    unix  -       -       n      -      -       trivial-rewrite
bounce     unix  -       -       n      -      0       bounce
defer      unix  -       -       n      -      0       bounce
trace      unix  -       -       n      -      0       bounce
smtp       unix  -       -       n      -      -       smtp
relay      unix  -       -       n      -      -       smtp
showq      unix  n       -       n      -      -       showq
error      unix  -       -       n      -      -       error
retry      unix  -       -       n      -      -       error
discard    unix  -       -       n      -      -       discard
EOF
touch "$PN/log/maillog"; chown "$MAIL_OWNER" "$PN/log/maillog"
start_sink "$PN_SINK" "$W/sink-postern.out" SINK_PN
( echo "$BASHPID" > "$CG_PN/cgroup.procs" && exec "$POSTERN" start -c "$PN/etc" ) \
    > "$PN/start.out" 2>&1 || { cat "$PN/start.out" >&2; die "postern start failed"; }
wait_listen "$PN_PORT" || { tail "$PN/log/maillog" >&2; die "Postern does not listen on $PN_PORT"; }

# --- Postfix instance (tests/postfix_peer.sh, relay mode) --------------------
if [ -z "$NOPF" ]; then
    mkdir -p "$PF/etc"
    {
        echo "# generated by bench/relay-compare.sh -- isolated Postfix benchmark instance"
        pf_main_cf "$PF"
        # the shared lines, less those pf_main_cf sets to the same values
        common_cf "$PF" "$PF_SINK" |
            grep -vE '^(compatibility_level|inet_interfaces|inet_protocols|notify_classes) ='
        echo "lmtp_dns_support_level = disabled"
    } > "$PF/etc/main.cf"
    # Debian's stock service list, chroot = n everywhere, smtpd on
    # loopback, postlogd for maillog_file
    pf_master_cf "127.0.0.1:$PF_PORT inet n  -       n      -      -       smtpd" \
        > "$PF/etc/master.cf"
    start_sink "$PF_SINK" "$W/sink-postfix.out" SINK_PF
    # started inside its own cgroup; "postfix start" creates the missing
    # queue directories itself (a failure without syslog is silent, so
    # pf_start shows its output and the maillog)
    in_cg() { echo "$BASHPID" > "$1/cgroup.procs" && shift && exec "$@"; }
    pf_start "$PF" "$PF_PORT" in_cg "$CG_PF" || die "postfix start failed"
fi

# --- one run ---------------------------------------------------------------------
now() { date +%s.%N; }
busy_ticks() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }
HZ=$(getconf CLK_TCK)
FAILED=0 STOP=0

# run MTA SIZE COUNT TAG
run() {
    [ "$STOP" = 0 ] || return 0
    local mta=$1 size=$2 n=$3 tag=$4 port cg sinkout base t0 t1 t2 c0 c1 g0 g1 rc got deadline
    case $mta in
        postern) port=$PN_PORT cg=$CG_PN sinkout=$W/sink-postern.out ;;
        postfix) port=$PF_PORT cg=$CG_PF sinkout=$W/sink-postfix.out ;;
        direct)  port=$DR_SINK cg='' sinkout=$W/sink-direct.out ;;
    esac
    sync; sleep 1                       # the previous run's writeback is not ours
    base=$(sink_count "$sinkout")
    c0=$(busy_ticks); g0=0; [ -n "$cg" ] && g0=$(cg_usec "$cg"); t0=$(now)
    # in the background, so that INT/TERM end the script at once
    smtp-source -s "$SESS" -m "$n" -l "$size" -f bench@example.com -t rcpt@example.net \
        -M client.example.com "127.0.0.1:$port" > "$W/source.out" 2>&1 &
    SRC_PID=$!
    wait "$SRC_PID"; rc=$?; SRC_PID=
    t1=$(now)
    deadline=$(( $(date +%s) + TIMEOUT ))
    while :; do
        got=$(( $(sink_count "$sinkout") - base ))
        [ "$got" -ge "$n" ] && break
        [ "$(date +%s)" -ge "$deadline" ] && break
        sleep 0.05
    done
    t2=$(now); c1=$(busy_ticks)
    # 0.5 s later: late duplicates would show here, and the CPU figures
    # include the MTA's trailing work (queue clean-up, logging)
    sleep 0.5
    got=$(( $(sink_count "$sinkout") - base ))
    g1=0; [ -n "$cg" ] && g1=$(cg_usec "$cg")
    [ "$rc" != 0 ] && { echo "smtp-source ($mta $tag) failed:" >&2; tail -n 3 "$W/source.out" >&2; }
    [ "$got" -eq "$n" ] && [ "$rc" = 0 ] || FAILED=1 STOP=1
    awk -v mta="$mta" -v tag="$tag" -v n="$n" -v s="$SESS" -v sz="$size" -v got="$got" \
        -v t0="$t0" -v t1="$t1" -v t2="$t2" -v rc="$rc" -v hz="$HZ" -v c0="$c0" -v c1="$c1" \
        -v g0="$g0" -v g1="$g1" 'BEGIN {
        ea = t1 - t0; ed = t2 - t0
        printf "result mta=%s tag=%s size=%d count=%d sessions=%d", mta, tag, sz, n, s
        printf " accepted_per_s=%.1f delivered_per_s=%.1f", n / ea, (got >= n ? n / ed : 0)
        printf " elapsed_accept=%.3f elapsed_deliver=%.3f delivered=%d", ea, ed, got
        printf " cpu_mta_s=%.2f cpu_mta_per_msg_us=%.0f cpu_machine_s=%.2f", (g1 - g0) / 1e6, (g1 - g0) / n, (c1 - c0) / hz
        printf " source_rc=%d complete=%s\n", rc, (got == n && rc == 0) ? "yes" : "no"
    }' | tee -a "$W/results"
}

echo "# relay-compare: postern $POSTERN_SRC (port $PN_PORT -> sink $PN_SINK, cgroup $CG_PN)"
[ -z "$NOPF" ] && echo "# relay-compare: postfix $PFVER (port $PF_PORT -> sink $PF_SINK, cgroup $CG_PF)"
if [ -z "$NODIRECT" ]; then
    start_sink "$DR_SINK" "$W/sink-direct.out" SINK_DR
fi
for size in $SIZES; do
    if [ "$size" -le 10240 ]; then n=$NSMALL; else n=$NLARGE; fi
    w=${WARM:-$(( n / 10 < 100 ? 100 : n / 10 ))}
    run postern "$size" "$w" warmup
    [ -z "$NOPF" ] && run postfix "$size" "$w" warmup
    [ -z "$NODIRECT" ] && run direct "$size" "$n" direct
    for r in $(seq "$ROUNDS"); do
        run postern "$size" "$n" "round-$r"
        [ -z "$NOPF" ] && run postfix "$size" "$n" "round-$r"
    done
done

# the MTAs' own account: one status=sent per message, nothing else
logcheck() { # MTA MAILLOG
    echo "maillog mta=$1 sent=$(grep -c 'status=sent' "$2") deferred=$(grep -c 'status=deferred' "$2")" \
         "bounced=$(grep -c 'status=bounced' "$2")" \
         "expected_sent=$(awk -v m="$1" '$2 == "mta=" m { for (i = 3; i <= NF; i++) if ($i ~ /^count=/) s += substr($i, 7) } END { print s + 0 }' "$W/results")"
}
sleep 1
logcheck postern "$PN/log/maillog" | tee -a "$W/logcheck"
[ -z "$NOPF" ] && logcheck postfix "$PF/maillog" | tee -a "$W/logcheck"
awk '{ for (i = 2; i <= NF; i++) { split($i, a, "="); v[a[1]] = a[2] }
       if (v["sent"] != v["expected_sent"] || v["deferred"] != 0 || v["bounced"] != 0) bad = 1 }
     END { exit bad }' "$W/logcheck" || { echo "relay-compare.sh: maillog counts differ from the runs" >&2; FAILED=1; }

# --- Markdown summary ----------------------------------------------------------
commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -n "$(git -C "$ROOT" status --porcelain -- lib cmd 2>/dev/null)" ] && commit="$commit (+ uncommitted changes)"
{
    echo
    echo "### Relay: Postern vs Postfix ($(date -u '+%Y-%m-%d %H:%M UTC'))"
    echo
    echo "\`bench/relay-compare.sh --rounds $ROUNDS --sizes \"$SIZES\" --count-small $NSMALL" \
         "--count-large $NLARGE --sessions $SESS$([ "$SINK_NICE" = 0 ] || echo " --sink-nice $SINK_NICE")\`${POSTERN_EXTRA_CF:+ with POSTERN_EXTRA_CF='$POSTERN_EXTRA_CF'}; Postern commit $commit; Postfix $PFVER;" \
         "$(nproc) CPUs; $(uname -r)."
    echo
    echo "| MTA | size | run | messages | accepted/s | delivered/s | MTA CPU s | MTA CPU/msg | machine CPU s | complete |"
    echo "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
    grep -v 'tag=warmup' "$W/results" | awk '{
        for (i = 2; i <= NF; i++) { split($i, a, "="); v[a[1]] = a[2] }
        d = (v["mta"] == "direct")
        printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
            (d ? "none (source → sink)" : v["mta"] == "postern" ? "Postern" : "Postfix"),
            v["size"], v["tag"], v["count"], v["accepted_per_s"], v["delivered_per_s"],
            (d ? "-" : v["cpu_mta_s"]), (d ? "-" : v["cpu_mta_per_msg_us"] " µs"), v["cpu_machine_s"], v["complete"] }'
    echo
    echo "Medians over the complete runs of $ROUNDS round(s) (ratio = Postern / Postfix;" \
         "target: delivered ≥ 5× for 1 KB, ≥ 3× for 100 KB):"
    echo
    echo "| size | Postern accepted/s | Postern delivered/s | Postern CPU/msg | Postfix accepted/s | Postfix delivered/s | Postfix CPU/msg | delivered ratio | CPU/msg ratio | target | no MTA (source → sink) /s |"
    echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |"
    grep -v 'tag=warmup' "$W/results" | grep 'complete=yes' | awk -v sizes="$SIZES" '
        function median(key,   n, i, j, t, x) {
            n = split(vals[key], x, " ")
            if (n == 0) return -1
            for (i = 2; i <= n; i++) { t = x[i] + 0; for (j = i - 1; j >= 1 && x[j] + 0 > t; j--) x[j + 1] = x[j]; x[j + 1] = t }
            return (n % 2) ? x[(n + 1) / 2] : (x[n / 2] + x[n / 2 + 1]) / 2
        }
        function f(x, d) { return x < 0 ? "-" : sprintf("%." d "f", x) }
        {
            delete v
            for (i = 2; i <= NF; i++) { split($i, a, "="); v[a[1]] = a[2] }
            k = v["mta"] SUBSEP v["size"]
            vals[k SUBSEP "acc"] = vals[k SUBSEP "acc"] " " v["accepted_per_s"]
            vals[k SUBSEP "del"] = vals[k SUBSEP "del"] " " v["delivered_per_s"]
            vals[k SUBSEP "cpu"] = vals[k SUBSEP "cpu"] " " v["cpu_mta_per_msg_us"]
        }
        END {
            ns = split(sizes, S, " ")
            for (s = 1; s <= ns; s++) {
                z = S[s]
                pa = median("postern" SUBSEP z SUBSEP "acc"); pd = median("postern" SUBSEP z SUBSEP "del")
                pc = median("postern" SUBSEP z SUBSEP "cpu")
                fa = median("postfix" SUBSEP z SUBSEP "acc"); fd = median("postfix" SUBSEP z SUBSEP "del")
                fc = median("postfix" SUBSEP z SUBSEP "cpu")
                rd = (pd > 0 && fd > 0) ? pd / fd : -1
                rc = (pc > 0 && fc > 0) ? pc / fc : -1
                goal = (z == 1024) ? 5 : (z == 102400) ? 3 : 0
                tg = (goal == 0 || rd < 0) ? "-" : (rd >= goal ? "met (≥ " goal "×)" : "NOT met (< " goal "×)")
                dd = median("direct" SUBSEP z SUBSEP "del")
                printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", z,
                    f(pa, 1), f(pd, 1), (pc < 0 ? "-" : f(pc, 0) " µs"), f(fa, 1), f(fd, 1), (fc < 0 ? "-" : f(fc, 0) " µs"),
                    (rd < 0 ? "-" : f(rd, 2) "×"), (rc < 0 ? "-" : f(rc, 2) "×"), tg, f(dd, 1)
            }
        }'
    echo
    sed 's/^/    /' "$W/logcheck"
} | tee "$W/summary.md"
[ -n "$MDFILE" ] && cp "$W/summary.md" "$MDFILE"
if [ "$FAILED" != 0 ]; then
    echo "relay-compare.sh: at least one run was INCOMPLETE (see complete=no / maillog counts)" >&2
    exit 1
fi
exit 0
