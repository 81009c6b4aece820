#!/bin/bash
# maps_sql.sh BIN CASE - pgsql:, mysql: and sqlite: tables against real
# servers started here (tests/sql_lib.sh), compared key by key with
# Postfix's own postmap -q on the same .cf files (postfix-pgsql,
# postfix-mysql, postfix-sqlite): %s %u %d %[1-9] %S %U %D, domain,
# result_format, expansion_limit, the legacy select_field form,
# several rows, NULL and empty columns, quoting. A server that cannot be
# reached is an error (exit 2, "no ... server"), never "not found".
# CASE: pgsql, mysql, sqlite, check.
BIN=$1
CASE=$2
source "$(dirname "$0")/mta_lib.sh"
source "$(dirname "$0")/sql_lib.sh"

D=$(mktemp -d /tmp/sql-test.XXXXXX)
chmod 755 "$D"
mkdir -p "$D/pf"
printf 'compatibility_level = 3.6\nmyhostname = mx.example.test\nmydomain = example.test\n' > "$D/pf/main.cf"
trap 'sql_stop_all; [ -n "${KEEP:-}" ] && echo "kept $D" || rm -rf "$D"' EXIT

KEYS=(alice@example.com ALICE@Example.COM bob@example.com
      nulluser@example.com empty@example.com "o'brien@example.com"
      'back\slash@example.com' carol @example.com user@ nosuch@example.com
      x@sub.example.org x@a.sub.example.org x@org x@.org x@sub..example.org
      'a%b@example.com' dave@example.net)

# fixtures NAME: the SQL of the test data (for the three servers)
fixtures() {
    cat <<'SQL'
CREATE TABLE users (email VARCHAR(100), dest VARCHAR(100),
                    domain VARCHAR(100), active INT);
INSERT INTO users VALUES
 ('alice@example.com', 'alice@mail.example.com', 'example.com', 1),
 ('bob@example.com', 'bob1@x.test', 'example.com', 1),
 ('bob@example.com', 'bob2@x.test', 'example.com', 1),
 ('nulluser@example.com', NULL, 'example.com', 1),
 ('empty@example.com', '', 'example.com', 1),
 ('o''brien@example.com', 'quoted@x.test', 'example.com', 1),
 ('carol', 'carol-local', NULL, 0),
 ('dave@example.net', 'dave', 'example.net', 0),
 ('a%b@example.com', 'percent@x.test', 'example.com', 1);
CREATE TABLE domains (domain VARCHAR(100), transport VARCHAR(100));
INSERT INTO domains VALUES ('sub.example.org', 'smtp:[relay.test]'),
 ('example.com', 'virtual:'), ('example.org', 'relay:');
SQL
}

# write_cfs DIR CONNECTION-LINES: one .cf per feature
write_cfs() {
    local dir=$1 conn=$2
    mkdir -p "$dir"
    printf '%s\nquery = SELECT dest FROM users WHERE email='"'"'%%s'"'"'\n' "$conn" > "$dir/plain.cf"
    { cat "$dir/plain.cf"; echo "domain = example.com, example.net"; } > "$dir/domain.cf"
    printf '%s\nquery = SELECT dest FROM users WHERE email='"'"'%%u@%%d'"'"'\n' "$conn" > "$dir/userdomain.cf"
    printf '%s\nquery = SELECT transport FROM domains WHERE domain='"'"'%%3.%%2.%%1'"'"'\n' "$conn" > "$dir/parts.cf"
    printf '%s\nquery = SELECT transport FROM domains WHERE domain='"'"'%%2.%%1'"'"'\n' "$conn" > "$dir/parts2.cf"
    printf '%s\nquery = SELECT dest FROM users WHERE email='"'"'%%s'"'"'\nresult_format = %%u+%%U@%%D [%%d] %%S %%%%\n' "$conn" > "$dir/result.cf"
    printf '%s\nquery = SELECT dest, domain FROM users WHERE email='"'"'%%s'"'"'\nresult_format = smtp:[%%s]\n' "$conn" > "$dir/multicol.cf"
    { cat "$dir/plain.cf"; echo "expansion_limit = 1"; } > "$dir/limit.cf"
    printf '%s\ntable = users\nselect_field = dest\nwhere_field = email\nadditional_conditions = AND active = 1\n' "$conn" > "$dir/legacy.cf"
    printf '%s\nquery = SELECT dest FROM users\n  WHERE email='"'"'%%s'"'"'\n  # a comment\n  AND active = 0\n' "$conn" > "$dir/contin.cf"
}

# lookups TYPE CF: "key<TAB>value" of each found key (postmap -q -'s
# form), "key<TAB>ERROR" for a table error; first ours, then postmap's
ours_of() {
    local key v rc
    for key in "${KEYS[@]}"; do
        v=$("${AS[@]}" "$BIN" map query "$1:$2" "$key" 2>/dev/null)
        rc=$?
        case $rc in
        0) printf '%s\t%s\n' "$key" "$v" ;;
        1) ;;
        *) printf '%s\tERROR\n' "$key" ;;
        esac
    done
}
theirs_of() {
    local key v
    if printf '%s\n' "${KEYS[@]}" |
        "${AS[@]}" /usr/sbin/postmap -c "$D/pf" -q - "$1:$2" 2>/dev/null; then
        return
    fi
    # postmap stops at a table error: one key at a time to tell which
    for key in "${KEYS[@]}"; do
        if v=$("${AS[@]}" /usr/sbin/postmap -c "$D/pf" -q "$key" "$1:$2" 2>"$D/pm.err"); then
            printf '%s\t%s\n' "$key" "$v"
        elif grep -q fatal "$D/pm.err"; then
            printf '%s\tERROR\n' "$key"
        fi
    done
}

# compare TYPE DIR: postern map query and postmap -q on every key of
# every .cf in DIR: value, not found (no line) or error
compare() {
    local type=$1 dir=$2 cf n=0 bad=0
    for cf in "$dir"/*.cf; do
        ours_of "$type" "$cf" > "$D/ours"
        theirs_of "$type" "$cf" > "$D/theirs"
        n=$((n + ${#KEYS[@]}))
        if ! diff -u "$D/theirs" "$D/ours" > "$D/diff"; then
            echo "== $(basename "$cf") (- postmap, + postern)" >&2
            cat "$D/diff" >&2
            bad=$((bad + 1))
        fi
        [ -s "$D/ours" ] || fail "$(basename "$cf"): nothing found at all"
    done
    [ "$bad" = 0 ] || fail "$type: $bad .cf files answer differently from postmap -q"
    pass "$type: $n lookups on $(ls "$dir"/*.cf | wc -l) .cf files agree with postmap -q"
}

# expect_error TYPE CF: a table whose servers cannot be reached
expect_error() {
    local out rc
    out=$("${AS[@]}" "$BIN" map query "$1:$2" alice@example.com 2>&1)
    rc=$?
    [ "$rc" = 2 ] || fail "$1 with no server: exit $rc (want 2, an error): $out"
    pass "$1 with no server: an error, not 'not found': $(echo "$out" | tail -1)"
}

case $CASE in
pgsql)
    sql_pg_start "$D/pg" || exit 77
    fixtures | sql_pg || fail "pgsql fixtures"
    write_cfs "$D/cf" "hosts = $PG_SOCK
dbname = mail
user = $RUN_USER"
    cat >> "$D/cf/legacyfn.cf" <<CF
hosts = unix:$PG_SOCK
dbname = mail
select_function = lower
CF
    compare pgsql "$D/cf"
    # fail-over: a dead host first in the list, the live one after it
    printf 'hosts = inet:127.0.0.1:1, %s\ndbname = mail\nquery = SELECT dest FROM users WHERE email=%s\n' \
        "$PG_SOCK" "'%s'" > "$D/failover.cf"
    v=$("${AS[@]}" "$BIN" map query "pgsql:$D/failover.cf" alice@example.com 2>/dev/null) ||
        fail "fail-over to the live host"
    [ "$v" = alice@mail.example.com ] || fail "fail-over: $v"
    pass "fail-over from a dead host to a live one"
    printf 'hosts = inet:127.0.0.1:1\ndbname = mail\nquery = SELECT 1\n' > "$D/down.cf"
    expect_error pgsql "$D/down.cf"
    sql_pg_stop
    expect_error pgsql "$D/cf/plain.cf"
    ;;
mysql)
    sql_my_start "$D/my" || exit 77
    { echo "USE mail;"; fixtures; } | sql_my || fail "mysql fixtures"
    write_cfs "$D/cf" "hosts = unix:$MY_SOCK
dbname = mail
user = root"
    compare mysql "$D/cf"
    printf 'hosts = unix:%s/nonexistent.sock unix:%s\nuser = root\ndbname = mail\nquery = SELECT dest FROM users WHERE email=%s\n' \
        "$D" "$MY_SOCK" "'%s'" > "$D/failover.cf"
    v=$("${AS[@]}" "$BIN" map query "mysql:$D/failover.cf" alice@example.com 2>/dev/null) ||
        fail "fail-over to the live host"
    [ "$v" = alice@mail.example.com ] || fail "fail-over: $v"
    pass "fail-over from a dead socket to a live one"
    sql_my_stop
    expect_error mysql "$D/cf/plain.cf"
    ;;
sqlite)
    command -v sqlite3 >/dev/null || { echo "skip: no sqlite3" >&2; exit 77; }
    fixtures | sqlite3 "$D/db.sqlite" || fail "sqlite fixtures"
    [ "$(id -u)" = 0 ] && chown -R "$RUN_USER" "$D"
    write_cfs "$D/cf" "dbpath = $D/db.sqlite"
    compare sqlite "$D/cf"
    printf 'dbpath = %s/missing.sqlite\nquery = SELECT 1\n' "$D" > "$D/down.cf"
    expect_error sqlite "$D/down.cf"
    ;;
check)
    mkdir -p "$D/cf"
    printf 'hosts = localhost\ndbname = mail\nquery = SELECT 1\nbogus_setting = 1\n' > "$D/cf/bad.cf"
    printf 'dbname = mail\nquery = SELECT %%x\n' > "$D/cf/badq.cf"
    printf 'dbname = mail\nquery = SELECT 1\nexpansion_limit = many\n' > "$D/cf/badn.cf"
    for t in bad badq badn; do
        cat > "$D/main.cf" <<CF
virtual_alias_maps = pgsql:$D/cf/$t.cf
CF
        out=$("$BIN" check -c "$D" 2>&1)
        echo "$out" | grep -q "$t.cf" || fail "postern check does not name $t.cf: $out"
        echo "$out" | grep -Eq "line 4: unknown setting bogus_setting|Invalid query template|line 3: bad numerical" ||
            fail "postern check: no reason for $t.cf: $out"
        pass "postern check: $(echo "$out" | grep "$t.cf" | head -1)"
    done
    ;;
*) fail "unknown case $CASE" ;;
esac
