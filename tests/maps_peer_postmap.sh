#!/bin/bash
# maps_peer_postmap.sh DRIVER OUTDIR - the table types whose Postfix
# tests have no .ref here (randmap:, fail:, environ:, and combinations of
# inline:, static:, cidr:, texthash:, unionmap:, pipemap:), each lookup
# compared with Postfix's own postmap -q: found with the same value, not
# found, or a lookup error.
drv=$1 base=$2
[ -x /usr/sbin/postmap ] || { echo "skip: Postfix's postmap not installed"; exit 77; }
mkdir -p "$base" || exit 1
T=$(mktemp -d "$base/pm.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
mkdir "$T/pf" && : >"$T/pf/main.cf"
printf '%s\n' '"a b" quoted' 'plain   value with  blanks  ' 'UPPER up' \
    'dup first' 'dup second' >"$T/th"
export maps_peer_var="from the environment"
fail=0
ours() { # TABLE KEY
    local out
    out=$(echo "get $2" | "$drv" -F "$1" 2>/dev/null | sed -n '/^> get /{n;p;}')
    case $out in
    "$2="*) echo "found ${out#"$2="}" ;;
    "$2: not found") echo notfound ;;
    "$2: error") echo error ;;
    *) echo "bad: $out" ;;
    esac
}
postfix() { # TABLE KEY
    local out rc
    out=$(MAIL_CONFIG=$T/pf /usr/sbin/postmap -q "$2" "$1" 2>"$T/err")
    rc=$?
    if [ $rc = 0 ]; then echo "found $out"
    elif grep -q . "$T/err"; then echo error
    else echo notfound; fi
}
check() { # TABLE KEY
    local a b
    a=$(ours "$1" "$2")
    b=$(postfix "$1" "$2")
    if [ "$a" = "$b" ]; then
        echo "ok: $1 '$2': $a"
    else
        echo "FAIL: $1 '$2': ours '$a', Postfix '$b'"; fail=1
    fi
}
check fail:x foo
check environ:x maps_peer_var
check environ:x MAPS_PEER_VAR
check environ:x no_such_variable_here
check 'randmap:{one}' foo
check 'randmap:{ {two words} }' foo
check 'static:{ a b }' foo
check 'inline:{ a=1, {b = 2 3} }' B
check 'inline:{ a=1, {b = 2 3} }' c
check 'unionmap:{inline:{a=1},inline:{a=2},static:3}' A
check 'unionmap:{inline:{a=1},inline:{b=2}}' c
check 'unionmap:{static:one,fail:x}' foo
check 'pipemap:{inline:{a=b},inline:{b=c}}' A
check 'pipemap:{inline:{a=b},inline:{x=c}}' a
check 'pipemap:{inline:{a=b},fail:x}' a
check 'cidr:{{1.2.3.0/24 net}, {::/0 six}}' 1.2.3.4
check 'cidr:{{1.2.3.0/24 net}, {::/0 six}}' 2001:db8::1
check 'cidr:{{1.2.3.0/24 net}, {::/0 six}}' 1.2.4.4
check "texthash:$T/th" '"a b"'
check "texthash:$T/th" plain
check "texthash:$T/th" upper
check "texthash:$T/th" dup
exit $fail
