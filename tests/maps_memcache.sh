#!/bin/bash
# maps_memcache.sh BIN CASE - memcache: tables against a real memcached
# started here as an unprivileged instance on a loopback port and a unix
# socket under the test directory, stopped at the end.
#   compare  postern map query and Postfix's postmap -q agree (key_format,
#            domain, data_size_limit, keys that cannot be there)
#   backup   a miss falls through to the backup table, and what it finds
#            is stored in the cache (with ttl and flags)
#   down     no server and no backup: an error (exit 2), never "not
#            found"; with a backup table the backup answers
set -u
BIN=$1
CASE=$2
. "$(dirname "${BASH_SOURCE[0]}")/mta_lib.sh"

MEMCACHED=$(command -v memcached || echo /usr/bin/memcached)
[ -x "$MEMCACHED" ] || { echo "skip: memcached is not installed"; exit 77; }

T=$(mktemp -d /tmp/mta-test.XXXXXX)
chmod 755 "$T"
MC_PID=
mc_stop() {
    if [ -n "$MC_PID" ]; then
        kill "$MC_PID" 2>/dev/null
        wait "$MC_PID" 2>/dev/null
        MC_PID=
    fi
}
on_exit() { mc_stop; if [ -n "${KEEP:-}" ]; then echo "kept $T"; else rm -rf "$T"; fi; }
trap on_exit EXIT
mkdir -p "$T/pf"
printf 'compatibility_level = 3.6\n' > "$T/pf/main.cf"
[ "$(id -u)" = 0 ] && chown -R nobody "$T"
MPORT=$(free_port)
SOCK=$T/mc.sock

mc_start() {
    # not through as_user: $! must be memcached itself
    "${AS[@]}" "$MEMCACHED" -l 127.0.0.1 -p "$MPORT" -U 0 -m 8 >> "$T/mc.log" 2>&1 &
    MC_PID=$!
    for _ in $(seq 50); do
        mc set probe 0 0 1 x >/dev/null 2>&1 && return 0
        kill -0 "$MC_PID" 2>/dev/null || break
        sleep 0.1
    done
    cat "$T/mc.log"
    echo "skip: memcached does not start here"
    exit 77
}

# mc CMD KEY [FLAGS TTL LEN DATA]: one command of the text protocol,
# the server's reply on stdout (get: "flags value")
mc() {
    $PY - "$MPORT" "$@" <<'PY'
import socket, sys
port, cmd, key = int(sys.argv[1]), sys.argv[2], sys.argv[3]
s = socket.create_connection(("127.0.0.1", port), 2)
f = s.makefile("rb")
if cmd == "set":
    flags, ttl, data = sys.argv[4], sys.argv[5], sys.argv[7].encode()
    s.sendall(b"set %s %s %s %d\r\n%s\r\n" % (key.encode(), flags.encode(), ttl.encode(), len(data), data))
    print(f.readline().decode().strip())
elif cmd == "get":
    s.sendall(b"get %s\r\n" % key.encode())
    line = f.readline().decode().strip()
    if line == "END":
        print("MISS")
    else:
        _, _, flags, n = line.split()
        print(flags, f.read(int(n)).decode())
elif cmd == "delete":
    s.sendall(b"delete %s\r\n" % key.encode())
    print(f.readline().decode().strip())
PY
}

cf() {
    local n=$1
    shift
    printf '%s\n' "$@" > "$T/$n.cf"
    grep -q '^memcache' "$T/$n.cf" || echo "memcache = inet:127.0.0.1:$MPORT" >> "$T/$n.cf"
}

q() {
    local out rc
    if [ "$1" = postfix ]; then
        out=$(MAIL_CONFIG=$T/pf /usr/sbin/postmap -q "$3" "memcache:$T/$2.cf" 2> "$T/err")
        rc=$?
        [ $rc -ne 0 ] && grep -q 'fatal\|error' "$T/err" && rc=2
    else
        out=$(as_user "$BIN" map query "memcache:$T/$2.cf" "$3" 2> "$T/err")
        rc=$?
    fi
    echo "$rc $out"
}

N=0
same() {
    local a b
    a=$(q postern "$1" "$2")
    if [ -x /usr/sbin/postmap ]; then
        b=$(q postfix "$1" "$2")
        [ "$a" = "$b" ] || { cat "$T/err"; fail "$1 '$2': postern [$a], postmap [$b]"; }
    fi
    if [ $# -ge 3 ]; then [ "$a" = "$3" ] || { cat "$T/err"; fail "$1 '$2': [$a], want [$3]"; }; fi
    N=$((N + 1))
    [ -n "${VERBOSE:-}" ] && echo "$1 $2 -> $a"
    return 0
}

case_compare() {
    mc_start
    mc set alice@example.test 0 0 x "alice@local.test" >/dev/null
    mc set bob@example.test 0 0 x "bob@local.test, bob@else.test" >/dev/null
    mc set u:carol 0 0 x "carol@local.test" >/dev/null
    mc set d:example.test 0 0 x "domain-wide" >/dev/null
    mc set big@example.test 0 0 x "$(printf '%0200d' 0)" >/dev/null
    cf plain
    same plain alice@example.test "0 alice@local.test"
    same plain ALICE@Example.TEST "0 alice@local.test"
    same plain bob@example.test "0 bob@local.test, bob@else.test"
    same plain nobody@example.test "1 "
    same plain "alice @example.test" "1 "
    same plain big@example.test
    cf user "key_format = u:%u"
    same user carol@example.test "0 carol@local.test"
    same user carol "0 carol@local.test"
    same user @example.test "1 "
    cf dom "key_format = d:%d"
    same dom anyone@example.test "0 domain-wide"
    same dom anyone "1 "
    cf list "domain = example.test"
    same list alice@example.test "0 alice@local.test"
    same list alice@other.test "1 "
    cf small "data_size_limit = 100"
    same small big@example.test "2 "
    same small alice@example.test "0 alice@local.test"
    # a second server on a unix socket
    "${AS[@]}" "$MEMCACHED" -s "$SOCK" -m 8 >> "$T/mc.log" 2>&1 &
    MC2_PID=$!
    for _ in $(seq 50); do [ -S "$SOCK" ] && break; sleep 0.1; done
    $PY -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(b"set sock@example.test 0 0 9\r\nvia-unix!\r\n"); s.recv(100)' "$SOCK"
    cf unix "memcache = unix:$SOCK"
    same unix sock@example.test "0 via-unix!"
    same unix alice@example.test "1 "
    kill "$MC2_PID"
    wait "$MC2_PID" 2>/dev/null
    pass "$N lookups agree with postmap -q"
}

case_backup() {
    mc_start
    printf 'carol@example.test carol@backup.test\nalice@example.test alice@backup.test\n' > "$T/backup"
    mc set alice@example.test 0 0 x "alice@cache.test" >/dev/null
    cf b "backup = texthash:$T/backup" "ttl = 60" "flags = 7"
    for tool in postern postfix; do
        [ $tool = postfix ] && [ ! -x /usr/sbin/postmap ] && continue
        mc delete carol@example.test >/dev/null
        [ "$(q $tool b alice@example.test)" = "0 alice@cache.test" ] || fail "$tool: the cache first"
        [ "$(q $tool b carol@example.test)" = "0 carol@backup.test" ] || fail "$tool: the backup"
        [ "$(mc get carol@example.test)" = "7 carol@backup.test" ] ||
            fail "$tool: backup answer not cached: $(mc get carol@example.test)"
        [ "$(q $tool b nobody@example.test)" = "1 " ] || fail "$tool: nowhere"
        pass "$tool: cache, then backup, answer cached with flags 7"
    done
}

case_check() {
    mkdir -p "$T/etc"
    printf 'memcache = inet:127.0.0.1:9\nbackup = hash:%s/nosuch\n' "$T" > "$T/badbackup.cf"
    printf 'memcache = inet:127.0.0.1:9\nttl = 1h\n' > "$T/badttl.cf"
    printf 'memcache = inet:127.0.0.1:9\nkey_fromat = %%u\n' > "$T/typo.cf"
    printf 'memcache = inet:127.0.0.1:9\nbackup = texthash:%s/backup\n' "$T" > "$T/good.cf"
    : > "$T/backup"
    printf 'compatibility_level = 3.6\nvirtual_alias_maps = %s\n' \
        "memcache:$T/badbackup.cf, memcache:$T/badttl.cf, memcache:$T/typo.cf, memcache:$T/good.cf" \
        > "$T/etc/main.cf"
    [ "$(id -u)" = 0 ] && chown -R nobody "$T"
    as_user "$BIN" check -c "$T/etc" > "$T/check.out" 2>&1
    grep -qF "$T/badbackup.cf, line 2: backup = hash:$T/nosuch: table hash:$T/nosuch: open database $T/nosuch.db: No such file or directory; source $T/nosuch: No such file or directory" "$T/check.out" &&
        grep -qF "$T/badttl.cf, line 2: bad numerical configuration: ttl = 1h" "$T/check.out" &&
        grep -qF "$T/typo.cf, line 2: unknown memcache_table(5) setting \"key_fromat\"" "$T/check.out" &&
        ! grep -qF "good.cf" "$T/check.out" ||
        { cat "$T/check.out"; fail "postern check"; }
    pass "postern check names the file, the line and the setting"
}

case_down() {
    printf 'carol@example.test carol@backup.test\n' > "$T/backup"
    cf plain "timeout = 1"
    same plain alice@example.test "2 "
    cf b "backup = texthash:$T/backup" "timeout = 1"
    same b carol@example.test "0 carol@backup.test"
    same b alice@example.test "1 "
    cf sock "memcache = unix:$T/nosuch.sock"
    same sock alice@example.test "2 "
    # a server that accepts and never answers: the timeout, then an error
    local sport spid t0
    sport=$(free_port)
    $PY -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(5)
c = []
while True: c.append(s.accept())' "$sport" &
    spid=$!
    sleep 0.3
    cf silent "memcache = inet:127.0.0.1:$sport" "timeout = 1" "max_try = 2" "retry_pause = 1"
    t0=$(date +%s)
    same silent alice@example.test "2 "
    kill "$spid"
    wait "$spid" 2>/dev/null
    [ $(($(date +%s) - t0)) -lt 12 ] || fail "the timeout was not kept"
    pass "no memcached: a temporary error without backup; the backup answers with one"
}

# e2e: alias_maps from memcache in a running mail system; memcached
# stopped: 451 4.3.0 at RCPT; started again: the daemons' kept connection
# is opened afresh and the mail delivered
case_e2e() {
    rm -rf "$T"
    mta_setup "alias_maps = memcache:\$config_directory/mc.cf, texthash:\$config_directory/aliases"
    trap 'mc_stop; cleanup_instance' EXIT
    printf 'memcache = inet:127.0.0.1:%s\ntimeout = 2\n' "$MPORT" > "$T/etc/mc.cf"
    chown -R "$RUN_USER" "$T" 2>/dev/null
    mc_start
    mc set mcuser 0 0 x "alice, bob" >/dev/null
    mta_start
    local r
    r=$(rcpt mcuser@local.test)
    case $r in 250*) ;; *) fail "RCPT mcuser@local.test: $r" ;; esac
    wait_log "to=<bob@local.test>.*orig_to=<mcuser@local.test>.*status=sent" 1 20
    pass "alias from memcache delivered"
    mc_stop
    r=$(rcpt mcuser@local.test)
    case $r in "451 4.3.0"*) ;; *) fail "RCPT with memcached down: $r (want 451 4.3.0)" ;; esac
    pass "memcached down: $r"
    mc_start
    mc set mcuser 0 0 x "alice, bob" >/dev/null
    r=$(rcpt mcuser@local.test)
    case $r in 250*) ;; *) fail "RCPT after the restart: $r" ;; esac
    wait_log "to=<bob@local.test>.*orig_to=<mcuser@local.test>.*status=sent" 2 20
    pass "memcached back: delivered"
    mta_stop
}

# rcpt RCPT: the reply code and text to RCPT TO (and the message)
rcpt() {
    $PY - "$PORT" "$1" <<'PY'
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=20)
s.ehlo("client.test")
s.mail("sender@example.org")
code, text = s.rcpt(sys.argv[2])
print(code, text.decode())
if code == 250:
    s.data(b"Subject: memcache alias\r\n\r\nvia memcache\r\n")
s.quit()
PY
}

case_$CASE
