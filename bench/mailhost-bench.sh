#!/bin/bash
# mailhost-bench.sh - authenticated submission and LMTP delivery into the
# same real Dovecot, Postern against Postfix 3.7 (issue 18). Each MTA runs
# in its own cgroup (its CPU time is measured); the client
# (bench/mailhost_client.py) logs in with AUTH PLAIN through Dovecot's
# auth service and submits to the hosted users; a run ends when the MTA
# has logged status=sent for every message (LMTP accepted it into
# Dovecot). Runs alternate Postern and Postfix. Root only (Postfix).
#
# usage: bench/mailhost-bench.sh [--rounds N] [--count N] [--sessions N]
#        [--per-conn N] [--size BYTES] [--no-postfix] [POSTERN]
set -u
BENCH=$(cd "$(dirname "$0")" && pwd)
ROUNDS=3 COUNT=2000 SESS=10 PER=20 SIZE=2048 NOPF=
POSTERN=$BENCH/../build/bin/postern
while [ $# -gt 0 ]; do
    case $1 in
    --rounds) ROUNDS=$2; shift ;;
    --count) COUNT=$2; shift ;;
    --sessions) SESS=$2; shift ;;
    --per-conn) PER=$2; shift ;;
    --size) SIZE=$2; shift ;;
    --no-postfix) NOPF=1 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) POSTERN=$1 ;;
    esac
    shift
done
die() { echo "mailhost-bench: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "run as root (the Postfix instance and the cgroups need it)"
[ -x "$POSTERN" ] || die "no postern binary at $POSTERN (build first, or name it)"
BIN=$POSTERN
. "$BENCH/../tests/mta_lib.sh"
. "$BENCH/../tests/dovecot_lib.sh"
. "$BENCH/../tests/postfix_peer.sh"
. "$BENCH/cgroup_lib.sh"
if [ -z "$NOPF" ]; then
    why=$(pf_need)
    [ -z "$why" ] || die "$why (or --no-postfix)"
fi

finish() {
    trap - EXIT
    [ -n "${PN:-}" ] && [ -d "$PN/etc" ] && timeout 20 "$POSTERN" stop -c "$PN/etc" >/dev/null 2>&1
    cg_drain "$CG_PN"
    [ -n "${PF:-}" ] && [ -d "$PF/etc" ] && pf_stop "$PF"
    cg_drain "$CG_PF"
    dovecot_stop
    stop_pids
    rm -rf "$T"
}
T=$(mktemp -d /tmp/mailhost-bench.XXXXXX)
CG_PN= CG_PF=
trap finish EXIT
chmod 755 "$T"
PN=$T/postern PF=$T/postfix
CGR=$(cg_root)
[ -n "$CGR" ] || die "no writable cgroup hierarchy"
CG_PN=$CGR/mailhost-bench-$$-postern CG_PF=$CGR/mailhost-bench-$$-postfix
mkdir "$CG_PN" "$CG_PF" || die "cannot create cgroups"
users=()
for i in $(seq 0 9); do users+=("u$i@example.test:pw"); done
dovecot_start "${users[@]}"
trap finish EXIT
for i in $(seq 0 9); do echo "u$i@example.test ok"; done > "$T/vmailbox"
chmod 644 "$T/vmailbox"

# the same main.cf lines for both MTAs
common_cf() {
    cat <<CF
compatibility_level = 3.6
myhostname = mx.example.test
mydomain = example.test
mydestination =
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.1/32
smtpd_peername_lookup = no
alias_maps =
local_recipient_maps =
notify_classes =
virtual_mailbox_domains = example.test
virtual_mailbox_maps = texthash:$T/vmailbox
virtual_transport = lmtp:inet:127.0.0.1:$DOVECOT_LMTP_PORT
lmtp_destination_concurrency_limit = 20
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = inet:127.0.0.1:$DOVECOT_AUTH_PORT
smtpd_relay_restrictions = permit_sasl_authenticated, reject
smtpd_recipient_restrictions = reject_unlisted_recipient
smtpd_tls_security_level = none
CF
}

PN_PORT=$(free_port)
mkdir -p "$PN/etc"
{
    common_cf
    echo "queue_directory = $PN/spool"
    echo "maillog_file = $PN/maillog"
} > "$PN/etc/main.cf"
cat > "$PN/etc/master.cf" <<MC
127.0.0.1:$PN_PORT inet n - n - - smtpd
pickup    unix n - n 60 1 pickup
cleanup   unix n - n - 0 cleanup
qmgr      unix n - n 300 1 qmgr
rewrite   unix - - n - - trivial-rewrite
bounce    unix - - n - 0 bounce
defer     unix - - n - 0 bounce
trace     unix - - n - 0 bounce
showq     unix n - n - - showq
error     unix - - n - - error
lmtp      unix - - n - - lmtp
smtp      unix - - n - - smtp
MC
touch "$PN/maillog"
( echo "$BASHPID" > "$CG_PN/cgroup.procs" && exec "$POSTERN" start -c "$PN/etc" ) \
    > "$T/postern.start" 2>&1 || { cat "$T/postern.start" >&2; die "postern start"; }

if [ -z "$NOPF" ]; then
    PF_PORT=$(free_port)
    mkdir -p "$PF/etc"
    { pf_main_cf "$PF"; common_cf | grep -vE '^(compatibility_level|inet_interfaces|inet_protocols|notify_classes) ='; } \
        > "$PF/etc/main.cf"
    pf_master_cf "127.0.0.1:$PF_PORT inet n - n - - smtpd" > "$PF/etc/master.cf"
    in_cg() { echo "$BASHPID" > "$1/cgroup.procs" && shift && exec "$@"; }
    pf_start "$PF" "$PF_PORT" in_cg "$CG_PF" || die "postfix start failed"
fi

sent() { grep -c ' status=sent ' "$1" 2>/dev/null || true; }
now() { date +%s.%N; }
# run NAME PORT MAILLOG CGROUP
run() {
    local name=$1 port=$2 log=$3 cg=$4 base t0 t2 g0 g1 out got deadline
    sync; sleep 1
    base=$(sent "$log")
    g0=$(cg_usec "$cg"); t0=$(now)
    out=$($PY "$BENCH/mailhost_client.py" "$port" "$SESS" "$PER" "$COUNT" 10 "$SIZE" 2>>"$T/client.err")
    deadline=$(( $(date +%s) + 120 ))
    while :; do
        got=$(( $(sent "$log") - base ))
        [ "$got" -ge "$COUNT" ] || [ "$(date +%s)" -ge "$deadline" ] && break
        sleep 0.05
    done
    t2=$(now); sleep 0.5; g1=$(cg_usec "$cg")
    echo "$out" | awk -v mta="$name" -v n="$COUNT" -v got="$got" -v t0="$t0" -v t2="$t2" \
        -v g0="$g0" -v g1="$g1" -v s="$SESS" -v per="$PER" -v sz="$SIZE" '{
        ed = t2 - t0
        printf "result mta=%s count=%d sessions=%d per_conn=%d size=%d", mta, n, s, per, sz
        printf " accepted=%d failed=%d accept_s=%.3f", $2, $4, $6
        printf " delivered=%d delivered_per_s=%.1f cpu_mta_per_msg_us=%.0f complete=%s\n",
            got, (got >= n ? n / ed : 0), (g1 - g0) / n, (got == n && $4 == 0) ? "yes" : "no"
    }'
}

echo "# mailhost-bench: postern $(git -C "$BENCH/.." rev-parse --short HEAD 2>/dev/null), Dovecot $(dovecot --version 2>/dev/null | cut -d' ' -f1)${NOPF:+, no Postfix}${NOPF:-, Postfix $(postconf -dh mail_version)}"
for r in $(seq "$ROUNDS"); do
    run postern "$PN_PORT" "$PN/maillog" "$CG_PN"
    [ -n "$NOPF" ] || run postfix "$PF_PORT" "$PF/maillog" "$CG_PF"
done
