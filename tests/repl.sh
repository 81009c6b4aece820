#!/bin/bash
# repl.sh - golden tests of "postern repl" scripts, "postern explain" and
# "postern help TOPIC" (testdata/repl/batch).
#
# Usage: tests/repl.sh [--update] POSTERN_BINARY [CASE...]
# Each case is a directory testdata/repl/batch/CASE with:
#   script      standard input (commands of a script); default empty
#   cmd         optional: the arguments (default "repl -c @DIR@")
#   want.out, want.err, want.rc   expected stdout, stderr, exit status
#   want.main.cf, want.master.cf  optional: the files after the run
# @DIR@ is a scratch copy of testdata/repl/conf; in the output it is
# written back as @DIR@. MAIL_CONFIG points to an empty directory so that
# the host's /etc/postfix is never read. Runs pin the host name as
# tests/cli.sh does. --update rewrites want.* (review the diff!).
set -u
. "$(dirname "$0")/golden_lib.sh"
golden_mode repl.sh repl_update "${1:-}" && shift
here=$(cd "$(dirname "$0")/.." && pwd)
bin=$(readlink -f "$1"); shift
export NORANDOMIZE=1 LC_ALL=C
unset POSTERN_HISTORY
pin_host repl.sh
cases=("$@")
if [ ${#cases[@]} = 0 ]; then
    for d in "$here"/testdata/repl/batch/*/; do cases+=("$(basename "$d")"); done
fi
pass=0 fail=0
for c in "${cases[@]}"; do
    src=$here/testdata/repl/batch/$c
    tmp=$(mktemp -d)
    dir=$tmp/conf
    mkdir "$dir" "$tmp/none" "$tmp/scratch"
    cp "$here"/testdata/repl/conf/*.cf "$dir"/
    cmd="repl -c @DIR@"
    [ -f "$src/cmd" ] && cmd=$(cat "$src/cmd")
    read -r -a argv <<<"${cmd//@DIR@/$dir}"
    input=/dev/null
    [ -f "$src/script" ] && input=$src/script
    (cd "$tmp" && MAIL_CONFIG=$tmp/none TMPDIR=$tmp/scratch HOME=$tmp \
        unshare "${ns[@]}" bash -c 'hostname mail.example.com && ip link set lo up && exec "$@"' \
        x "$bin" "${argv[@]}" <"$input" >"$tmp/.out" 2>"$tmp/.err"; echo $? >"$tmp/.rc")
    sed -i "s|$dir|@DIR@|g" "$tmp/.out" "$tmp/.err"
    if [ $update = 1 ]; then
        cp "$tmp/.out" "$src/want.out"; cp "$tmp/.err" "$src/want.err"; cp "$tmp/.rc" "$src/want.rc"
        for f in main.cf master.cf; do
            [ -f "$src/want.$f" ] && cp "$dir/$f" "$src/want.$f"
        done
    fi
    bad=""
    cmp -s "$tmp/.out" "$src/want.out" || bad="$bad stdout"
    cmp -s "$tmp/.err" "$src/want.err" || bad="$bad stderr"
    cmp -s "$tmp/.rc" "$src/want.rc" || bad="$bad rc"
    for f in main.cf master.cf; do
        if [ -f "$src/want.$f" ]; then
            cmp -s "$src/want.$f" "$dir/$f" || bad="$bad $f"
        else
            cmp -s "$here/testdata/repl/conf/$f" "$dir/$f" || bad="$bad $f-changed"
        fi
    done
    # The scratch copy of the session is gone.
    [ -z "$(ls -A "$tmp/scratch")" ] || bad="$bad scratch-left"
    if [ -z "$bad" ]; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL $c:$bad"
        diff -u "$src/want.out" "$tmp/.out" | head -30
        diff -u "$src/want.err" "$tmp/.err" | head -20
        echo "rc: want $(cat "$src/want.rc" 2>/dev/null) got $(cat "$tmp/.rc")"
    fi
    rm -rf "$tmp"
done
echo "repl: $pass passed, $fail failed"
[ $fail = 0 ]
