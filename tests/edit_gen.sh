#!/bin/bash
# edit_gen.sh - (re)generate testdata/edit/ID/ with the REAL postconf.
# Usage: tests/edit_gen.sh [/usr/sbin/postconf]
# For each TABLE line: copy the corpus entry, run postconf -c . ARGS,
# keep the resulting main.cf and master.cf (only those that changed,
# plus a "same" marker list), stdout, stderr and exit status.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
real=${1:-/usr/sbin/postconf}
[ -x "$real" ] || { echo "edit_gen.sh: $real not found" >&2; exit 1; }
. "$here/tests/edit_lib.sh"
while IFS='|' read -r id entry args; do
    case $id in ''|'#'*) continue ;; esac
    out=$here/testdata/edit/$id
    rm -rf "$out"; mkdir -p "$out"
    tmp=$(mktemp -d)
    edit_setup "$entry" "$tmp"
    edit_run "$real" "$tmp" "$args"
    for f in main.cf master.cf; do
        if edit_changed "$entry" "$tmp" $f; then cp "$tmp/$f" "$out/want.$f"; fi
    done
    cp "$tmp/.out" "$out/want.out"; cp "$tmp/.err" "$out/want.err"; cp "$tmp/.rc" "$out/want.rc"
    rm -rf "$tmp"
done <"$here/testdata/edit/TABLE"
