#!/bin/bash
# cli.sh - golden tests of the postern command line (testdata/cli).
#
# Usage: tests/cli.sh [--update] POSTERN_BINARY [CASE...]
# Each case is a directory testdata/cli/CASE with:
#   args      the arguments (one shell line, word-split; "postern" is prepended)
#   *.cf      input files, copied into a scratch directory that is the cwd
#   want.out  expected stdout, want.err expected stderr, want.rc exit status
#   keep      optional: files that must be byte-identical after the run
# Runs pin the host as the oracle does (hostname mail.example.com, only
# loopback, PID 1) so host-dependent defaults are stable.
# --update rewrites want.* from the actual output (review the diff!).
set -u
. "$(dirname "$0")/golden_lib.sh"
golden_mode cli.sh cli_update "${1:-}" && shift
here=$(cd "$(dirname "$0")/.." && pwd)
bin=$(readlink -f "$1"); shift
export NORANDOMIZE=1 LC_ALL=C
pin_host cli.sh
cases=("$@")
if [ ${#cases[@]} = 0 ]; then
    for d in "$here"/testdata/cli/*/; do cases+=("$(basename "$d")"); done
fi
pass=0 fail=0
for c in "${cases[@]}"; do
    src=$here/testdata/cli/$c
    tmp=$(mktemp -d)
    cp "$src"/*.cf "$tmp"/ 2>/dev/null || true
    read -r -a argv <"$src/args"
    (cd "$tmp" && unshare "${ns[@]}" bash -c 'hostname mail.example.com && ip link set lo up && exec "$@"' \
        x "$bin" "${argv[@]}" >"$tmp/.out" 2>"$tmp/.err"; echo $? >"$tmp/.rc")
    if [ $update = 1 ]; then
        cp "$tmp/.out" "$src/want.out"; cp "$tmp/.err" "$src/want.err"; cp "$tmp/.rc" "$src/want.rc"
    fi
    bad=""
    cmp -s "$tmp/.out" "$src/want.out" || bad="$bad stdout"
    cmp -s "$tmp/.err" "$src/want.err" || bad="$bad stderr"
    cmp -s "$tmp/.rc" "$src/want.rc" || bad="$bad rc"
    if [ -f "$src/keep" ]; then
        for f in $(cat "$src/keep"); do
            cmp -s "$src/$f" "$tmp/$f" || bad="$bad $f-changed"
        done
    fi
    if [ -z "$bad" ]; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL $c:$bad"
        diff -u "$src/want.out" "$tmp/.out" | head -20
        diff -u "$src/want.err" "$tmp/.err" | head -20
    fi
    rm -rf "$tmp"
done
echo "cli: $pass passed, $fail failed"
[ $update = 0 ] || echo "cli: goldens rewritten (--update: not a test run)"
[ $fail = 0 ]
