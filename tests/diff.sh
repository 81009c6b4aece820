#!/bin/bash
# diff.sh - golden tests of "postern diff" (testdata/diff).
# Usage: tests/diff.sh [--update] POSTERN_BINARY [CASE...]
# Builds a scratch directory with the fixtures a/, b/, a-layout/ and a
# git repository "repo" with two commits (cfg/ = a, then cfg/ = b, plus
# an uncommitted working-tree change), then runs each CASES line and
# compares stdout and exit status with testdata/diff/want/CASE.{out,rc}.
# Runs are pinned like the oracle (hostname mail.example.com, loopback
# only) because some defaults depend on the host.
# --update rewrites the goldens (review the diff!).
set -u
. "$(dirname "$0")/golden_lib.sh"
golden_mode diff.sh diff_update "${1:-}" && shift
here=$(cd "$(dirname "$0")/.." && pwd)
bin=$(readlink -f "$1"); shift
export LC_ALL=C NO_COLOR=1
pin_host diff.sh
command -v git >/dev/null || { echo "diff.sh: git missing" >&2; exit 77; }
data=$here/testdata/diff
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cp -r "$data/a" "$data/b" "$data/a-layout" "$tmp/"
(
    cd "$tmp" && mkdir -p repo/cfg && cd repo && git init -q . \
    && git config user.email t@example.com && git config user.name test \
    && cp ../a/*.cf cfg/ && git add cfg && git commit -qm a \
    && cp ../b/*.cf cfg/ && git add cfg && git commit -qm b \
    && echo 'relayhost = [new.example.net]' >>cfg/main.cf
) || { echo "diff.sh: cannot build the git fixture"; exit 1; }
mkdir -p "$data/want"
pass=0 fail=0
while IFS='|' read -r name args; do
    case $name in ''|'#'*) continue ;; esac
    if [ $# -gt 0 ]; then case " $* " in *" $name "*) ;; *) continue ;; esac; fi
    read -r -a argv <<<"$args"
    (cd "$tmp" && unshare "${ns[@]}" bash -c 'hostname mail.example.com && ip link set lo up && exec "$@"' \
        x "$bin" "${argv[@]}" >"$tmp/.out" 2>"$tmp/.err"; echo $? >"$tmp/.rc")
    if [ $update = 1 ]; then
        cp "$tmp/.out" "$data/want/$name.out"; cp "$tmp/.rc" "$data/want/$name.rc"
    fi
    if cmp -s "$tmp/.out" "$data/want/$name.out" && cmp -s "$tmp/.rc" "$data/want/$name.rc"; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL $name (postern $args): rc $(cat "$tmp/.rc") want $(cat "$data/want/$name.rc")"
        diff -u "$data/want/$name.out" "$tmp/.out" | head -20
        cat "$tmp/.err"
    fi
done <"$data/CASES"
echo "diff: $pass passed, $fail failed"
[ $update = 0 ] || echo "diff: goldens rewritten (--update: not a test run)"
[ $fail = 0 ]
