# sql_lib.sh - PostgreSQL and MariaDB servers for tests (sourced after
# mta_lib.sh, which sets AS, RUN_USER, fail and pass).
#
# sql_pg_start DIR: an unprivileged PostgreSQL (initdb, then postgres
# listening only on a unix socket in DIR), database "mail" owned by the
# instance user; PG_SOCK is DIR. sql_pg_stop stops it (the data stay for
# sql_pg_start again: a database taken away and brought back).
# sql_my_start DIR: MariaDB (mariadb-install-db, mariadbd
# --skip-networking, socket DIR/my.sock), database "mail", root without a
# password over the socket; MY_SOCK. sql_my_stop.
# Both return 77 (with a reason on stderr) when the server cannot start,
# so a test exits 77 (skipped) rather than pass. sql_stop_all (added to
# the caller's EXIT trap) stops whatever is still running.
PG_BIN=
for d in /usr/lib/postgresql/*/bin; do [ -x "$d/postgres" ] && PG_BIN=$d; done
PG_SOCK= PG_PID= MY_SOCK= MY_PID= MY_DIR=

sql_pg_start() {
    local dir=$1
    [ -n "$PG_BIN" ] || { echo "skip: no PostgreSQL server installed" >&2; return 77; }
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then chown "$RUN_USER" "$dir"; fi
    chmod 711 "$dir" # the socket: for clients running as other users
    if [ ! -d "$dir/data" ]; then
        "${AS[@]}" "$PG_BIN/initdb" -A trust -U "$RUN_USER" -E UTF8 \
            --no-locale -D "$dir/data" >"$dir/initdb.log" 2>&1 ||
            { echo "skip: initdb failed: $(tail -3 "$dir/initdb.log")" >&2; return 77; }
    fi
    "${AS[@]}" "$PG_BIN/postgres" -D "$dir/data" -k "$dir" -h '' \
        -c fsync=off -c full_page_writes=off >>"$dir/pg.log" 2>&1 &
    PG_PID=$!
    PG_SOCK=$dir
    for _ in $(seq 100); do
        "${AS[@]}" "$PG_BIN/pg_isready" -q -h "$dir" && break
        kill -0 "$PG_PID" 2>/dev/null || break
        sleep 0.1
    done
    "${AS[@]}" "$PG_BIN/pg_isready" -q -h "$dir" ||
        { echo "skip: postgres did not start: $(tail -3 "$dir/pg.log")" >&2; return 77; }
    if [ ! -e "$dir/created" ]; then
        "${AS[@]}" "$PG_BIN/createdb" -h "$dir" mail && touch "$dir/created"
    fi
}

# sql_pg SQL...: run SQL (stdin when no argument) in database mail
sql_pg() {
    if [ $# -gt 0 ]; then
        "${AS[@]}" psql -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCK" -d mail -c "$*"
    else
        "${AS[@]}" psql -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCK" -d mail
    fi
}

sql_pg_stop() {
    [ -n "$PG_PID" ] || return 0
    kill -INT "$PG_PID" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$PG_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$PG_PID" 2>/dev/null
    wait "$PG_PID" 2>/dev/null
    PG_PID=
}

sql_my_start() {
    local dir=$1
    command -v mariadbd >/dev/null && command -v mariadb-install-db >/dev/null ||
        { echo "skip: no MariaDB server installed" >&2; return 77; }
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then chown "$RUN_USER" "$dir"; fi
    chmod 700 "$dir"
    MY_DIR=$dir
    if [ ! -d "$dir/data" ]; then
        "${AS[@]}" mariadb-install-db --no-defaults --user="$RUN_USER" \
            --datadir="$dir/data" --auth-root-authentication-method=normal \
            --skip-test-db >"$dir/install.log" 2>&1 ||
            { echo "skip: mariadb-install-db failed: $(tail -3 "$dir/install.log")" >&2; return 77; }
    fi
    "${AS[@]}" mariadbd --no-defaults --datadir="$dir/data" \
        --socket="$dir/my.sock" --skip-networking --pid-file="$dir/my.pid" \
        --log-error="$dir/my.log" --innodb-buffer-pool-size=16M \
        --skip-log-bin >/dev/null 2>&1 &
    MY_PID=$!
    MY_SOCK=$dir/my.sock
    for _ in $(seq 150); do
        "${AS[@]}" mariadb --no-defaults -S "$MY_SOCK" -u root -e 'select 1' \
            >/dev/null 2>&1 && break
        kill -0 "$MY_PID" 2>/dev/null || break
        sleep 0.1
    done
    "${AS[@]}" mariadb --no-defaults -S "$MY_SOCK" -u root -e 'select 1' >/dev/null 2>&1 ||
        { echo "skip: mariadbd did not start: $(tail -3 "$dir/my.log")" >&2; return 77; }
    sql_my "CREATE DATABASE IF NOT EXISTS mail"
}

# sql_my SQL...: run SQL (stdin when no argument) as root
sql_my() {
    if [ $# -gt 0 ]; then
        "${AS[@]}" mariadb --no-defaults -S "$MY_SOCK" -u root -e "$*"
    else
        "${AS[@]}" mariadb --no-defaults -S "$MY_SOCK" -u root
    fi
}

sql_my_stop() {
    [ -n "$MY_PID" ] || return 0
    kill -TERM "$MY_PID" 2>/dev/null
    for _ in $(seq 150); do kill -0 "$MY_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$MY_PID" 2>/dev/null
    wait "$MY_PID" 2>/dev/null
    MY_PID=
}

sql_stop_all() { sql_pg_stop; sql_my_stop; }
