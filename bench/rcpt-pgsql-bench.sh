#!/bin/bash
# rcpt-pgsql-bench.sh - the RCPT-time cost of a pgsql: recipient table
# through proxy: (issue 20), Postern against Postfix 3.7. Both read
# relay_recipient_maps = proxy:pgsql:users.cf from one PostgreSQL
# (USERS rows, a unix socket under the scratch directory); a client runs
# SESSIONS sessions, 4 at a time, of RCPTS "RCPT TO" each (half known
# users: 250, half unknown: 550) and no DATA. The figure is RCPT replies
# per second, best of ROUNDS, the MTAs alternating. Postfix searches the
# table through its proxymap service; Postern, with smtpd not chrooted,
# in the smtpd process itself (a chrooted one goes through proxymap too).
# Root only (the Postfix instance).
#
# usage: bench/rcpt-pgsql-bench.sh [POSTERN] [SESSIONS] [RCPTS] [ROUNDS] [USERS]
set -u
BENCH=$(cd "$(dirname "$0")" && pwd)
BIN=${1:-$BENCH/../build/bin/postern}
SESS=${2:-40} RCPTS=${3:-100} ROUNDS=${4:-3} NUSERS=${5:-10000}
die() { echo "rcpt-pgsql-bench: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "run as root (the Postfix instance needs it)"
[ -x "$BIN" ] || die "no postern binary at $BIN"
. "$BENCH/../tests/mta_lib.sh"
. "$BENCH/../tests/postfix_peer.sh"
. "$BENCH/../tests/sql_lib.sh"
why=$(pf_need)
[ -z "$why" ] || die "$why"

# half the recipients are unknown: no error tarpit, no error limit
ERRS=("smtpd_error_sleep_time = 0" "smtpd_soft_error_limit = 100000"
    "smtpd_hard_error_limit = 100000")
mta_setup "relay_domains = hosted.test" "${ERRS[@]}" \
    "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination"
PFD=$(mktemp -d /tmp/rcpt-bench-postfix.XXXXXX)
chmod 755 "$PFD"
trap 'pf_stop "$PFD"; rm -rf "$PFD"; sql_pg_stop; cleanup_instance' EXIT
sql_pg_start "$T/pg" || die "PostgreSQL did not start"
chmod 755 "$T" "$T/pg" # Postfix's proxymap (user postfix) reaches the socket
sql_pg "CREATE TABLE users (email text primary key)" || die "create table"
sql_pg "INSERT INTO users SELECT 'user' || g || '@hosted.test' FROM generate_series(1, $NUSERS) g" ||
    die "fixtures"
cat > "$T/users.cf" <<PG
hosts = unix:$T/pg
user = $RUN_USER
dbname = mail
query = SELECT 'OK' FROM users WHERE email='%s'
PG
chmod 644 "$T/users.cf"
echo "relay_recipient_maps = proxy:pgsql:$T/users.cf" >> "$T/etc/main.cf"
echo "relay     unix  -       -       n      -      -       smtp" >> "$T/etc/master.cf"
mta_start

PFPORT=$(free_port)
mkdir -p "$PFD/etc"
{
    pf_main_cf "$PFD"
    pf_local_cf
    echo "relay_domains = hosted.test"
    echo "relay_recipient_maps = proxy:pgsql:$T/users.cf"
    echo "smtpd_reject_unlisted_recipient = yes"
    printf '%s\n' "${ERRS[@]}"
} > "$PFD/etc/main.cf"
pf_master_cf "127.0.0.1:$PFPORT inet n - n - - smtpd" > "$PFD/etc/master.cf"
pf_start "$PFD" "$PFPORT" || die "Postfix peer"

# client PORT: "RCPT replies/s code-counts"
client() {
    $PY - "$1" "$SESS" "$RCPTS" "$NUSERS" <<'PY'
import random, socket, sys, threading, time
port, sess, n, users = (int(a) for a in sys.argv[1:5])
codes = {}
lock = threading.Lock()
def one(seed):
    rnd = random.Random(seed)
    s = socket.create_connection(("127.0.0.1", port), timeout=60)
    f = s.makefile("rb")
    def reply():
        while True:
            l = f.readline()
            if l[3:4] != b"-":
                return l[:3].decode()
    reply()
    s.sendall(b"EHLO bench.example\r\n"); reply()
    s.sendall(b"MAIL FROM:<bench@example.com>\r\n"); reply()
    local = {}
    for i in range(n):
        u = rnd.randint(1, users) if i % 2 == 0 else users + rnd.randint(1, users)
        s.sendall(b"RCPT TO:<user%d@hosted.test>\r\n" % u)
        c = reply()
        local[c] = local.get(c, 0) + 1
    s.sendall(b"QUIT\r\n"); reply()
    s.close()
    with lock:
        for c, k in local.items():
            codes[c] = codes.get(c, 0) + k
t0 = time.time()
work = list(range(sess))
def worker():
    while True:
        with lock:
            if not work:
                return
            k = work.pop()
        one(k)
th = [threading.Thread(target=worker) for _ in range(4)]
for t in th: t.start()
for t in th: t.join()
dt = time.time() - t0
print("%.0f %s" % (sess * n / dt, " ".join("%s:%d" % kv for kv in sorted(codes.items()))))
PY
}

best_pt=0 best_pf=0
for r in $(seq "$ROUNDS"); do
    read -r pt ptc < <(client "$PORT")
    read -r pf pfc < <(client "$PFPORT")
    echo "round $r: Postern $pt RCPT/s ($ptc)  Postfix $pf RCPT/s ($pfc)"
    [ "$pt" -gt "$best_pt" ] && best_pt=$pt
    [ "$pf" -gt "$best_pf" ] && best_pf=$pf
done
echo "best: Postern $best_pt RCPT/s, Postfix $best_pf RCPT/s, ratio $(echo "scale=2; $best_pt / $best_pf" | bc)"
echo "($SESS sessions x $RCPTS RCPT, 4 at a time, $NUSERS users in PostgreSQL)"
