#!/bin/bash
# edit.sh - compare our postconf edits with the goldens that the real
# postconf 3.7.11 wrote (testdata/edit, made by tests/edit_gen.sh).
# Usage: tests/edit.sh POSTCONF_BINARY [ID...]
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
bin=$(readlink -f "$1"); shift
. "$here/tests/edit_lib.sh"
pass=0 fail=0
while IFS='|' read -r id entry args; do
    case $id in ''|'#'*) continue ;; esac
    if [ $# -gt 0 ]; then
        case " $* " in *" $id "*) ;; *) continue ;; esac
    fi
    want=$here/testdata/edit/$id
    tmp=$(mktemp -d)
    edit_setup "$entry" "$tmp"
    edit_run "$bin" "$tmp" "$args"
    bad=""
    for f in main.cf master.cf; do
        if [ -f "$want/want.$f" ]; then
            cmp -s "$want/want.$f" "$tmp/$f" || bad="$bad $f"
        elif edit_changed "$entry" "$tmp" $f; then
            bad="$bad $f(changed)"
        fi
    done
    cmp -s "$want/want.out" "$tmp/.out" || bad="$bad stdout"
    cmp -s "$want/want.err" "$tmp/.err" || bad="$bad stderr"
    cmp -s "$want/want.rc" "$tmp/.rc" || bad="$bad rc"
    [ -e "$tmp/main.cf.tmp" ] || [ -e "$tmp/master.cf.tmp" ] && bad="$bad tmp-left"
    if [ -z "$bad" ]; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL $id:$bad   (postconf -c . $args)"
        for f in main.cf master.cf; do
            [ -f "$want/want.$f" ] && diff -u "$want/want.$f" "$tmp/$f" | head -20
        done
        diff "$want/want.err" "$tmp/.err" | head -5
    fi
    rm -rf "$tmp"
done <"$here/testdata/edit/TABLE"
echo "edit: $pass passed, $fail failed"
[ $fail = 0 ]
