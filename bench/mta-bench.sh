#!/usr/bin/env bash
# mta-bench.sh - Postern's MTA against Postfix: smtp-source into local
# Maildir delivery, the two measured alternately in the same run.
#
#   bench/mta-bench.sh [--postern BIN] [--count 10000] [--sessions 20]
#                      [--size 1024] [--runs 3] [--warmup 2000]
#                      [--no-postfix] [--keep DIR]
#
# Needs root (cgroups for exact CPU accounting, a local user, the Postfix
# instance), smtp-source from Debian's postfix package, and for the
# Postfix side ../shared/bench/postfix-instance.sh (override with
# SHARED_BENCH=DIR). Everything listens on 127.0.0.1 only.
#
# Both MTAs deliver to the Maildir of user "mtabench" (created if
# missing; its home is the Postfix instance's DIR/home/mtabench) with
# the same main.cf essentials: mydestination = local.test,
# local_recipient_maps = unix:passwd.byname, home_mailbox = Maildir/,
# no peer name lookups, no TLS. Durability is the same: neither replies
# 250 before the message is fsynced, neither reports a delivery before
# the Maildir file is fsynced (Postern also syncs the directory).
# The Maildir is replaced by an empty one between runs (the old one is
# moved aside, not deleted) so that no run pays for earlier files.
#
# One line per run:  result mta=... tag=... accepted_per_s=...
# delivered_per_s=... cpu_mta_per_msg_us=... (same fields as
# ../shared/bench/mta-bench.sh), then medians and the ratio.
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
SHARED=${SHARED_BENCH:-$ROOT/../shared/bench}
. "$HERE/cgroup_lib.sh"
POSTERN=$ROOT/build/bin/postern
COUNT=10000 SESS=20 SIZE=1024 RUNS=3 WARM=2000 NOPF= KEEP=
PPORT=42731 FPORT=42611 FSINK=42612 LUSER=mtabench
while [ $# -gt 0 ]; do
    case "$1" in
        --postern) POSTERN=$2; shift 2 ;;
        --count) COUNT=$2; shift 2 ;;
        --sessions) SESS=$2; shift 2 ;;
        --size) SIZE=$2; shift 2 ;;
        --runs) RUNS=$2; shift 2 ;;
        --warmup) WARM=$2; shift 2 ;;
        --no-postfix) NOPF=1; shift ;;
        --keep) KEEP=$2; shift 2 ;;
        -h|--help) sed -n '2,28p' "$0"; exit 0 ;;
        *) echo "unknown option: $1" >&2; exit 2 ;;
    esac
done
[ "$(id -u)" = 0 ] || { echo "mta-bench.sh: must run as root" >&2; exit 2; }
command -v smtp-source >/dev/null || { echo "smtp-source not found (Debian package postfix)" >&2; exit 2; }
POSTERN=$(readlink -f "$POSTERN")
[ -x "$POSTERN" ] || { echo "no postern binary at $POSTERN" >&2; exit 2; }
if [ -z "$NOPF" ] && [ ! -x "$SHARED/postfix-instance.sh" ]; then
    echo "no $SHARED/postfix-instance.sh: Postern only" >&2; NOPF=1
fi

W=$(mktemp -d /tmp/postern-mta-bench.XXXXXX)
chmod 755 "$W"
PFDIR=$W/postfix PNDIR=$W/postern
CGP=
cleanup() {
    if [ -d "$PNDIR/etc" ]; then
        "$POSTERN" stop -c "$PNDIR/etc" >/dev/null 2>&1
        cg_drain "$CGP"
    fi
    [ -z "$NOPF" ] && "$SHARED/postfix-instance.sh" stop --dir "$PFDIR" >/dev/null 2>&1
    if [ -n "$KEEP" ]; then mkdir -p "$KEEP"; cp -r "$W"/. "$KEEP"/ 2>/dev/null; fi
    rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- Postfix (its instance script also creates the user and its home) ---
if [ -z "$NOPF" ]; then
    "$SHARED/postfix-instance.sh" start --dir "$PFDIR" --port "$FPORT" --sink-port "$FSINK" \
        --mode local --local-user "$LUSER" >/dev/null || { echo "postfix start failed" >&2; exit 1; }
    CGF=$(cat "$PFDIR/cgroup")
    HOME_DIR=$PFDIR/home/$LUSER
else
    id "$LUSER" >/dev/null 2>&1 || useradd -M -d "$PNDIR/home/$LUSER" -s /usr/sbin/nologin "$LUSER"
    HOME_DIR=$PNDIR/home/$LUSER
    mkdir -p "$HOME_DIR"; usermod -d "$HOME_DIR" "$LUSER"; chown "$LUSER" "$HOME_DIR"
fi
MD=$HOME_DIR/Maildir/new

# --- Postern: the same settings, master.cf with Postfix's service list ---
mkdir -p "$PNDIR/etc" "$PNDIR/log"
cat > "$PNDIR/etc/main.cf" <<EOF2
compatibility_level = 3.6
queue_directory = $PNDIR/spool
maillog_file = $PNDIR/log/maillog
mail_owner = postfix
myhostname = mta.bench.test
mydomain = bench.test
myorigin = \$myhostname
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
mydestination = local.test
relay_domains =
local_recipient_maps = proxy:unix:passwd.byname
alias_maps =
home_mailbox = Maildir/
smtpd_relay_restrictions = permit_mynetworks, reject
smtpd_recipient_restrictions =
smtpd_peername_lookup = no
smtpd_tls_security_level = none
EOF2
cat > "$PNDIR/etc/master.cf" <<EOF2
127.0.0.1:$PPORT inet n  -       n      -      -       smtpd
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
local      unix  -       n       n      -      -       local
EOF2
touch "$PNDIR/log/maillog"; chown postfix "$PNDIR/log/maillog"
R=$(cg_root)
[ -n "$R" ] && mkdir -p "$R/mtabench-postern-$PPORT" && CGP=$R/mtabench-postern-$PPORT
( [ -n "$CGP" ] && echo "$BASHPID" > "$CGP/cgroup.procs"; exec "$POSTERN" start -c "$PNDIR/etc" ) \
    2> "$PNDIR/start.err" || { cat "$PNDIR/start.err" >&2; exit 1; }
for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$PPORT") 2>/dev/null && break; sleep 0.1; done

busy_ticks() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }
now() { date +%s.%N; }
ndelivered() { ls -f "$MD" 2>/dev/null | grep -vc '^\.'; }
HZ=$(getconf CLK_TCK)

# run MTA PORT CGROUP N TAG
run() {
    local mta=$1 port=$2 cg=$3 n=$4 tag=$5 t0 t1 t2 c0 c1 g0 g1 rc got
    # a fresh, empty Maildir; the old one is moved aside, not deleted:
    # deleting tens of thousands of files makes ext4's next inode
    # allocations slow (recently_deleted scans) for minutes, a cost of
    # the benchmark, not of the MTA under test
    [ -d "$HOME_DIR/Maildir" ] && mv "$HOME_DIR/Maildir" "$W/old-maildir.$tag.$RANDOM"
    mkdir -p "$MD" "$HOME_DIR/Maildir/tmp" "$HOME_DIR/Maildir/cur"
    chown -R "$LUSER" "$HOME_DIR/Maildir"; sync
    sleep 1
    c0=$(busy_ticks); g0=$(cg_usec "$cg"); t0=$(now)
    smtp-source -s "$SESS" -m "$n" -l "$SIZE" -f bench@example.com -t "$LUSER@local.test" \
        -M client.example.com "127.0.0.1:$port" > "$W/source.out" 2>&1
    rc=$?
    t1=$(now)
    for _ in $(seq 1200); do
        got=$(ndelivered); [ "$got" -ge "$n" ] && break; sleep 0.05
    done
    t2=$(now); c1=$(busy_ticks); g1=$(cg_usec "$cg")
    awk -v mta="$mta" -v tag="$tag" -v n="$n" -v s="$SESS" -v sz="$SIZE" -v got="$got" \
        -v t0="$t0" -v t1="$t1" -v t2="$t2" -v rc="$rc" -v hz="$HZ" -v c0="$c0" -v c1="$c1" \
        -v g0="$g0" -v g1="$g1" 'BEGIN {
        ea = t1 - t0; ed = t2 - t0
        printf "result mta=%s tag=%s count=%d sessions=%d size=%d", mta, tag, n, s, sz
        printf " accepted_per_s=%.1f delivered_per_s=%.1f", n / ea, (got >= n ? n / ed : 0)
        printf " elapsed_accept=%.3f elapsed_deliver=%.3f delivered=%d", ea, ed, got
        printf " cpu_machine_s=%.2f cpu_mta_s=%.2f cpu_mta_per_msg_us=%.0f", (c1 - c0) / hz, (g1 - g0) / 1e6, (g1 - g0) / n
        printf " source_rc=%d complete=%s\n", rc, (got >= n && rc == 0) ? "yes" : "no"
    }' | tee -a "$W/results"
}

[ -z "$NOPF" ] && run postfix "$FPORT" "$CGF" "$WARM" warmup >/dev/null
run postern "$PPORT" "$CGP" "$WARM" warmup >/dev/null
for i in $(seq "$RUNS"); do
    [ -z "$NOPF" ] && run postfix "$FPORT" "$CGF" "$COUNT" "postfix-$i"
    run postern "$PPORT" "$CGP" "$COUNT" "postern-$i"
done
# a delivery line per message in Postern's log, nothing deferred
echo "postern maillog: $(grep -c 'status=sent (delivered to maildir)' "$PNDIR/log/maillog") sent," \
     "$(grep -c 'status=deferred' "$PNDIR/log/maillog") deferred," \
     "$(grep -c 'status=bounced' "$PNDIR/log/maillog") bounced"

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print 0 }'; }
field() { grep "mta=$1 " "$W/results" | grep -v tag=warmup | grep -o "$2=[0-9.]*" | cut -d= -f2; }
for m in postfix postern; do
    [ "$m" = postfix ] && [ -n "$NOPF" ] && continue
    echo "median mta=$m accepted_per_s=$(field $m accepted_per_s | median)" \
         "delivered_per_s=$(field $m delivered_per_s | median)" \
         "cpu_mta_per_msg_us=$(field $m cpu_mta_per_msg_us | median)"
done
if [ -z "$NOPF" ]; then
    awk -v a="$(field postern delivered_per_s | median)" -v b="$(field postfix delivered_per_s | median)" \
        -v c="$(field postern accepted_per_s | median)" -v d="$(field postfix accepted_per_s | median)" \
        'BEGIN { printf "ratio postern/postfix delivered=%.2f accepted=%.2f\n", a / b, c / d }'
fi
