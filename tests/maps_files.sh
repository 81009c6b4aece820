#!/bin/bash
# maps_files.sh POSTERN CASE - issue 20: hash, btree, lmdb and cdb tables in
# Postfix's own file formats, and postmap/postalias/newaliases, against
# the real Postfix 3.7 programs (/usr/sbin/postmap, /usr/sbin/postalias)
# on the same inputs: same stdout, stderr and exit code.
#   formats  built by Postern, read by Postfix's postmap -q, and back
#   options  every postmap option, the two programs side by side
#   update   -i and -d updates, then each reads the other's result
#   alias    postalias (the "@" sentinel, -q, -s) and newaliases -c DIR
#   missing  a table whose database is missing: Postern reads its
#            source with a warning (postern map query), postmap -q fails
#   atomic   a reader querying while the table is rebuilt never fails
set -u
BIN=$(readlink -f "${1:?postern binary}")
CASE=${2:?case}
PF=/usr/sbin/postmap
PA=/usr/sbin/postalias
for p in $PF $PA; do
    [ -x $p ] || { echo "skip: $p (Postfix 3.7) is not installed"; exit 77; }
done
T=$(mktemp -d "${TMPDIR:-/tmp}/maps-files.XXXXXX")
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/cf" "$T/bin" "$T/a" "$T/b"
: >"$T/cf/main.cf"
export MAIL_CONFIG=$T/cf
for l in postmap postalias newaliases; do ln -s "$BIN" "$T/bin/$l"; done
PM=$T/bin/postmap
for ty in hash btree lmdb cdb; do
    /usr/sbin/postconf -m 2>/dev/null | grep -qx $ty ||
        { echo "skip: Postfix's $ty: support is not installed (postfix-lmdb, postfix-cdb)"; exit 77; }
done
PAL=$T/bin/postalias
fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }
TYPES="hash btree lmdb cdb"

source_file() {
    printf '%s\n' '# a comment' 'Foo bar' 'key2 value two' \
        'a 1' 'a 2' 'lonely' 'cont first' '  second line' \
        'user@Example.COM  relay:[mx.example]' 'UPPER MixedCase Value' >"$1"
}

# same DESC DIR-A-CMD... : run the command in $T/a with Postern's
# programs and in $T/b with Postfix's; stdout, stderr and status equal
same() {
    local desc=$1 stdin=$2
    shift 2
    local ra rb
    (cd "$T/a" && PATH=$T/bin:$PATH "$@" <"$stdin" >"$T/a.out" 2>"$T/a.err")
    ra=$?
    (cd "$T/b" && PATH=/usr/sbin:$PATH "$@" <"$stdin" >"$T/b.out" 2>"$T/b.err")
    rb=$?
    [ $ra = $rb ] || fail "$desc: exit $ra (Postern) vs $rb (Postfix); stderr: $(cat "$T/a.err") | $(cat "$T/b.err")"
    diff -u "$T/b.out" "$T/a.out" >&2 || fail "$desc: stdout differs (- Postfix, + Postern)"
    diff -u "$T/b.err" "$T/a.err" >&2 || fail "$desc: stderr differs (- Postfix, + Postern)"
}

case $CASE in
formats)
    cd "$T/a" || exit 1
    for ty in $TYPES; do
        source_file t
        "$PM" $ty:t 2>/dev/null || fail "postern postmap $ty:t"
        [ "$($PF -q foo $ty:t)" = bar ] || fail "$ty: Postfix cannot read Postern's foo"
        [ "$($PF -q 'user@example.com' $ty:t)" = 'relay:[mx.example]' ] ||
            fail "$ty: Postfix cannot read Postern's user@example.com"
        [ "$($PF -q a $ty:t)" = 1 ] || fail "$ty: first of a duplicate key not kept"
        [ "$($PF -q cont $ty:t)" = 'first  second line' ] || fail "$ty: continuation line"
        $PF -q nosuch $ty:t && fail "$ty: Postfix finds a key never written"
        rm -f t.db t.lmdb t.cdb
        $PF $ty:t 2>/dev/null || fail "Postfix postmap $ty:t"
        [ "$("$PM" -q foo $ty:t)" = bar ] || fail "$ty: Postern cannot read Postfix's foo"
        [ "$("$PM" -q UPPER $ty:t)" = 'MixedCase Value' ] || fail "$ty: Postern cannot read Postfix's upper"
        # the daemons' way in: maps_find through "postern map query"
        [ "$("$BIN" map query $ty:$T/a/t key2)" = 'value two' ] ||
            fail "$ty: lib/services/maps cannot read Postfix's file"
        "$PM" -q nosuch $ty:t && fail "$ty: Postern finds a key never written"
        rm -f t.db t.lmdb t.cdb
        pass "$ty: Postern's file read by Postfix and Postfix's by Postern"
    done
    ;;
options)
    source_file "$T/a/t"
    source_file "$T/b/t"
    printf 'foo\nnope\nUPPER\nuser@example.com\n' >"$T/keys"
    printf 'Subject: hello\nX-Long: one\n two\n\nsome body\nother\n' >"$T/msg"
    printf '/^Subject: (.*)/ SUBJ $1\n/body/ BODY\n/^x-long/ LONG\n' >"$T/a/hc"
    cp "$T/a/hc" "$T/b/hc"
    echo "file one" >"$T/a/f1"
    cp "$T/a/f1" "$T/b/f1"
    printf 'k1 f1\nk2 nosuchfile\n' >"$T/a/ft"
    cp "$T/a/ft" "$T/b/ft"
    for ty in $TYPES; do
        same "$ty build" /dev/null postmap $ty:t
        same "$ty -q" /dev/null postmap -q FOO $ty:t
        same "$ty -q not found" /dev/null postmap -q nope $ty:t
        same "$ty -q -" "$T/keys" postmap -q - $ty:t
        same "$ty -f build" /dev/null postmap -f $ty:t
        same "$ty -f -q" /dev/null postmap -f -q UPPER $ty:t
        same "$ty -f -q folded" /dev/null postmap -f -q upper $ty:t
        same "$ty -r" /dev/null postmap -r $ty:t
        same "$ty -r -q" /dev/null postmap -q a $ty:t
        same "$ty -w" /dev/null postmap -w $ty:t
        same "$ty -N" /dev/null postmap -N $ty:t
        same "$ty -N -q" /dev/null postmap -q foo $ty:t
        same "$ty -n" /dev/null postmap -n $ty:t
        same "$ty -n -q" /dev/null postmap -q foo $ty:t
        same "$ty -o -p -u -U -v" /dev/null postmap -o -p -u -U $ty:t
        same "$ty -F" /dev/null postmap -F $ty:ft
        same "$ty -F -q" /dev/null postmap -q k1 $ty:ft
        same "$ty -s" /dev/null postmap -s $ty:t
        same "$ty -q two maps" /dev/null postmap -q key2 $ty:ft $ty:t
    done
    same "default type" /dev/null postmap t
    same "default type -q" /dev/null postmap -q foo t
    touch -d '-50 seconds' "$T/a/t" "$T/b/t"
    same "database older than a source just saved" /dev/null postmap -q foo hash:t
    touch -d '-1 hour' "$T/a/t" "$T/b/t"
    touch -d '-2 hours' "$T/a/t.db" "$T/b/t.db"
    same "database older than its source" /dev/null postmap -q foo hash:t
    grep -q "older than source file" "$T/a.err" || fail "no 'older than source file' warning"
    same "-q missing database" /dev/null postmap -q foo hash:nosuch
    same "build missing source" /dev/null postmap hash:nosuch
    same "-d missing database" /dev/null postmap -d foo hash:nosuch
    same "-s missing database" /dev/null postmap -s lmdb:nosuch
    same "-i missing database" "$T/keys" postmap -i btree:newdb
    same "-i new database -s" /dev/null postmap -s btree:newdb
    same "unsupported type" /dev/null postmap nosuchtype:t
    same "-q unsupported type" /dev/null postmap -q foo nosuchtype:t
    same "postalias -d" /dev/null postalias -d foo hash:t
    same "postalias -s" /dev/null postalias -s lmdb:t
    same "no file" /dev/null postmap
    same "-q no file" /dev/null postmap -q foo
    same "-s no file" /dev/null postmap -s
    same "-q and -d" /dev/null postmap -q foo -d foo hash:t
    same "-s and -q" /dev/null postmap -q foo -s hash:t
    same "bad option" /dev/null postmap -x hash:t
    same "-h -q -" "$T/msg" postmap -h -q - regexp:hc
    same "-b -q -" "$T/msg" postmap -b -q - regexp:hc
    same "-hb -q -" "$T/msg" postmap -hb -q - regexp:hc
    same "-h without -q -" /dev/null postmap -h -q x regexp:hc
    same "-q regexp" /dev/null postmap -q 'Subject: x' regexp:hc
    same "-c DIR" /dev/null postmap -c "$T/cf" -q foo hash:t
    same "-c bad DIR" /dev/null postmap -c "$T/nocf" -q foo hash:t
    pass "postmap options: same stdout, stderr and exit codes as Postfix"
    ;;
update)
    for ty in hash btree lmdb; do
        for d in a b; do source_file "$T/$d/t"; done
        same "$ty build" /dev/null postmap $ty:t
        printf 'new val\nfoo replaced\n' >"$T/in"
        same "$ty -i" "$T/in" postmap -i $ty:t
        same "$ty -i -q" /dev/null postmap -q new $ty:t
        same "$ty -i kept" /dev/null postmap -q foo $ty:t
        same "$ty -i -r" "$T/in" postmap -i -r $ty:t
        same "$ty -i -r -q" /dev/null postmap -q foo $ty:t
        same "$ty -d" /dev/null postmap -d foo $ty:t
        same "$ty -d again" /dev/null postmap -d foo $ty:t
        printf 'key2\nnope\n' >"$T/in"
        same "$ty -d -" "$T/in" postmap -d - $ty:t
        same "$ty -d - none" "$T/in" postmap -d - $ty:t
        [ $ty = hash ] || same "$ty -s after updates" /dev/null postmap -s $ty:t
        # each reads the other's updated file
        cp "$T/a/t.$( [ $ty = lmdb ] && echo lmdb || echo db)" "$T/x.db"
        ( cd "$T/b" && $PF -q new $ty:t >/dev/null ) || fail "$ty: Postfix's update lost"
        ( cd "$T/a" && $PF -q new $ty:t >/dev/null ) || fail "$ty: Postfix cannot read Postern's update"
        ( cd "$T/b" && "$PM" -q new $ty:t >/dev/null ) || fail "$ty: Postern cannot read Postfix's update"
    done
    source_file "$T/a/t"
    source_file "$T/b/t"
    same "cdb build" /dev/null postmap cdb:t
    same "cdb -i" /dev/null postmap -i cdb:t
    same "cdb -d" /dev/null postmap -d foo cdb:t
    pass "postmap -i and -d: same results as Postfix, files readable by both"
    ;;
alias)
    for d in a b; do
        printf '%s\n' '# aliases' 'root: admin, ops' 'Postmaster: root' \
            '"quoted name": x' 'bad line' 'dup: 1' 'dup: 2' \
            'long: a,' '   b' >"$T/$d/aliases"
    done
    for ty in hash btree lmdb cdb; do
        same "postalias $ty" /dev/null postalias $ty:aliases
        same "postalias -q" /dev/null postalias -q postmaster $ty:aliases
        same "postalias -q @" /dev/null postalias -q @ $ty:aliases
        same "postalias -q long" /dev/null postalias -q long $ty:aliases
        same "postalias -q quoted" /dev/null postalias -q 'quoted name' $ty:aliases
        same "postalias -q nope" /dev/null postalias -q nope $ty:aliases
        # the sentinel and the NIS entries, as Postfix writes them
        ( cd "$T/a" && $PA -q @ $ty:aliases >/dev/null ) || fail "$ty: no @ sentinel"
        [ $ty = cdb ] || [ "$(cd "$T/a" && $PA -s $ty:aliases | grep -c '^YP_')" = 2 ] ||
            fail "$ty: no YP_LAST_MODIFIED and YP_MASTER_NAME"
    done
    same "postalias -s btree" /dev/null sh -c "postalias -s btree:aliases | grep -v '^YP_'"
    printf 'new: x\nroot: y\nbad\n' >"$T/in"
    for o in -r -w -N -n -f -o -p -u; do
        same "postalias $o" /dev/null postalias $o lmdb:aliases
        same "postalias $o -q" /dev/null postalias $o -q ROOT lmdb:aliases
    done
    same "postalias -i" "$T/in" postalias -i btree:aliases
    same "postalias -i -s" /dev/null sh -c "postalias -s btree:aliases | grep -v '^YP_'"
    same "postalias -q -" "$T/in" postalias -q - btree:aliases
    same "postalias -d" /dev/null postalias -d new btree:aliases
    same "postalias bad option" /dev/null postalias -b btree:aliases
    same "postalias no file" /dev/null postalias
    # newaliases: alias_database of main.cf in -c DIR (sendmail's -C too)
    mkdir -p "$T/nc"
    cp "$T/a/aliases" "$T/nc/aliases"
    echo "alias_database = hash:$T/nc/aliases" >"$T/nc/main.cf"
    MAIL_CONFIG=/nonexistent "$T/bin/newaliases" -C "$T/nc" ||
        fail "newaliases -C DIR failed"
    [ "$($PA -c "$T/nc" -q root hash:$T/nc/aliases)" = 'admin, ops' ] ||
        fail "newaliases did not build $T/nc/aliases.db"
    rm -f "$T/nc/aliases.db"
    MAIL_CONFIG=$T/nc "$T/bin/newaliases" || fail "newaliases (MAIL_CONFIG) failed"
    [ -s "$T/nc/aliases.db" ] || fail "newaliases with MAIL_CONFIG built nothing"
    pass "postalias and newaliases: as Postfix's"
    ;;
missing)
    cd "$T/a" || exit 1
    source_file t
    for ty in $TYPES; do
        out=$("$BIN" map query $ty:$T/a/t foo 2>"$T/err") || fail "$ty: source not read"
        [ "$out" = bar ] || fail "$ty: source lookup gave '$out'"
        grep -q "database $T/a/t\.[a-z]* is missing.*run \"postmap $ty:$T/a/t\"" "$T/err" ||
            fail "$ty: no warning about the missing database: $(cat "$T/err")"
        # postern check says the same
        printf 'transport_maps = %s:%s\n' $ty "$T/a/t" >"$T/cf/main.cf"
        "$BIN" check -c "$T/cf" >"$T/err" 2>&1
        grep -q "warning: database $T/a/t\.[a-z]* is missing.*run \"postmap $ty:$T/a/t\"" "$T/err" ||
            fail "$ty: postern check did not warn about the missing database: $(cat "$T/err")"
        : >"$T/cf/main.cf"
        "$PM" -q foo $ty:t 2>"$T/err" && fail "$ty: postmap -q read the source"
        grep -q "fatal: open database t\.[a-z]*: No such file" "$T/err" || fail "$ty: $(cat "$T/err")"
        "$PM" $ty:t
        touch -d '-1 hour' t
        touch -d '-2 hours' t.$([ $ty = lmdb ] || [ $ty = cdb ] && echo $ty || echo db)
        "$BIN" map query $ty:$T/a/t foo 2>"$T/err" >/dev/null
        grep -q "warning: database $T/a/t\.[a-z]* is older than source file $T/a/t" "$T/err" ||
            fail "$ty: no 'older than source' warning: $(cat "$T/err")"
        rm -f t.db t.lmdb t.cdb
    done
    pass "missing database: source read with a warning; older database: Postfix's warning"
    ;;
atomic)
    cd "$T/a" || exit 1
    for i in $(seq 1 50000); do echo "key$i value$i"; done >t
    "$PM" hash:t || fail build
    ( for i in $(seq 1 40); do "$PM" hash:t || exit 1; done ) &
    bp=$!
    n=0
    while kill -0 $bp 2>/dev/null; do
        v=$($PF -q key49999 hash:t 2>&1) || fail "a reader failed during a rebuild: $v"
        [ "$v" = value49999 ] || fail "a reader saw '$v' during a rebuild"
        n=$((n + 1))
    done
    wait $bp || fail "rebuilds failed"
    ls t.db.*.tmp 2>/dev/null && fail "temporary files left"
    [ $n -ge 5 ] || fail "only $n lookups during the rebuilds: proves nothing"
    pass "$n lookups during 40 rebuilds: none failed"
    ;;
*)
    echo "unknown case $CASE" >&2
    exit 2
    ;;
esac
