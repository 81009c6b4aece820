#!/bin/sh
# peer_postconf.sh - run Postfix's own postconf tests (transcribed from the
# recipes in postfix/src/postconf/Makefile.in, Postfix 3.7.11) against a
# postconf-compatible binary.
#
#   tests/peer_postconf.sh TEST BINARY      run one test (e.g. test41)
#   tests/peer_postconf.sh --all BINARY     run every test, print a summary
#   tests/peer_postconf.sh --list           list the test names
#
# BINARY is invoked through a symlink named "postconf" in a scratch copy of
# the test directory, as "./postconf" (so messages read "./postconf: ..."),
# exactly as the Postfix recipes run their freshly built ./postconf.
# Validate the harness with the real thing:
#   tests/peer_postconf.sh --all /usr/sbin/postconf
#
# Test directory format (testdata/peer/postconf/testN/):
#   cmd    one shell line, run by "sh -ec" with cwd = the scratch copy and
#          $POSTCONF = ./postconf. Its stdout is what is compared; anything
#          it writes to stderr is a log (shown on failure), like a recipe
#          command whose output is not redirected into testN.tmp.
#          A non-zero exit status fails the test, as it fails the make
#          recipe (recipes that expect a fatal error say "|| true").
#   want   the expected output (Postfix's testN.ref, byte for byte).
#   *      every other file is an input copied into the scratch directory;
#          "@PWD@" in an input file is replaced by the scratch directory's
#          absolute path (the recipes write `pwd` into main.cf/master.cf).
# Before cmd runs, main.cf gets mtime 1971-01-01 00:00 (the recipes'
# "touch -t 197101010000 main.cf"). Environment: only PATH, LC_ALL=C,
# NORANDOMIZE=1, TZ=UTC, POSTCONF=./postconf, plus ASAN_OPTIONS and
# UBSAN_OPTIONS when they are set.
#
# Environment knobs:
#   PEER_POSTCONF_DATA   test data directory (default: ../testdata/peer/postconf
#                        relative to this script)
#   PEER_POSTCONF_KEEP=1 keep the scratch directory and print its path
#   PEER_POSTCONF_TIMEOUT seconds per test (default 60)

set -u

here=$(cd "$(dirname "$0")" && pwd)
data=${PEER_POSTCONF_DATA:-$here/../testdata/peer/postconf}
timeout_s=${PEER_POSTCONF_TIMEOUT:-60}

usage() {
    echo "usage: $0 TEST BINARY | --all BINARY | --list" >&2
    exit 2
}

list_tests() {
    for d in "$data"/test*/; do
        [ -f "$d/cmd" ] || continue
        basename "$d"
    done | sort -V
}

abs_binary() {
    case $1 in
    /*) b=$1 ;;
    */*) b=$(cd "$(dirname "$1")" && pwd)/$(basename "$1") ;;
    *) b=$(command -v "$1") || b= ;;
    esac
    if [ -z "$b" ] || [ ! -x "$b" ] || [ -d "$b" ]; then
        echo "$0: not an executable: $1" >&2
        exit 2
    fi
    printf '%s\n' "$b"
}

# is_expected_fail NAME: listed in EXPECTED_FAIL (comments after '#')?
is_expected_fail() {
    [ -f "$data/EXPECTED_FAIL" ] || return 1
    sed -e 's/#.*//' -e 's/[[:space:]]//g' "$data/EXPECTED_FAIL" |
        grep -qx -- "$1"
}

# run_one NAME BINARY [quiet]: 0 = pass, 1 = fail. Shows the diff on failure.
run_one() {
    name=$1 bin=$2
    src=$data/$name
    if [ ! -f "$src/cmd" ] || [ ! -f "$src/want" ]; then
        echo "$name: no such test in $data" >&2
        return 1
    fi
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/peer_postconf.XXXXXX") || return 1
    work=$tmp/work
    mkdir "$work"
    for f in "$src"/* "$src"/.[!.]*; do
        [ -f "$f" ] || continue
        case ${f##*/} in cmd | want) continue ;; esac
        cp -p "$f" "$work/"
    done
    (
        cd "$work" || exit 1
        wd=$(pwd)
        for f in *; do
            [ -f "$f" ] || continue
            if grep -q '@PWD@' "$f"; then
                sed "s;@PWD@;$wd;g" "$f" >"$f.new" && mv "$f.new" "$f"
            fi
        done
        [ -f main.cf ] && touch -t 197101010000 main.cf
        ln -s "$bin" postconf
    ) || { rm -rf "$tmp"; return 1; }

    cmdline=$(cat "$src/cmd")
    to=
    command -v timeout >/dev/null 2>&1 && to="timeout $timeout_s"
    # $to is deliberately unquoted: empty, or "timeout N".
    # shellcheck disable=SC2086
    (
        cd "$work" &&
            exec env -i PATH="$PATH" LC_ALL=C NORANDOMIZE=1 TZ=UTC \
                POSTCONF=./postconf \
                ${ASAN_OPTIONS+ASAN_OPTIONS="$ASAN_OPTIONS"} \
                ${UBSAN_OPTIONS+UBSAN_OPTIONS="$UBSAN_OPTIONS"} \
                $to /bin/sh -ec "$cmdline"
    ) >"$tmp/out" 2>"$tmp/log"
    status=$?

    ok=0
    if [ $status -ne 0 ]; then
        echo "FAIL $name: command exited with status $status"
        ok=1
    fi
    if ! diff -u "$src/want" "$tmp/out" >"$tmp/diff" 2>&1; then
        [ $ok -eq 0 ] && echo "FAIL $name: output differs from want"
        echo "--- cmd: $cmdline"
        sed 's/^/    /' "$tmp/diff"
        ok=1
    fi
    if [ $ok -ne 0 ] && [ -s "$tmp/log" ]; then
        echo "--- log (stderr not compared):"
        sed 's/^/    /' "$tmp/log"
    fi
    if [ "${PEER_POSTCONF_KEEP:-0}" = 1 ]; then
        echo "scratch directory kept: $tmp"
    else
        rm -rf "$tmp"
    fi
    return $ok
}

[ $# -ge 1 ] || usage
case $1 in
--list)
    list_tests
    exit 0
    ;;
--all)
    [ $# -eq 2 ] || usage
    bin=$(abs_binary "$2") || exit 2
    pass=0 fail=0 failed=
    for t in $(list_tests); do
        if out=$(run_one "$t" "$bin" 2>&1); then
            pass=$((pass + 1))
            echo "PASS $t"
        else
            fail=$((fail + 1))
            failed="$failed $t"
            printf '%s\n' "$out"
            is_expected_fail "$t" && echo "     ($t is listed in EXPECTED_FAIL)"
        fi
    done
    [ $fail -gt 0 ] && echo "failed:$failed"
    echo "$pass passed, $fail failed"
    [ $fail -eq 0 ]
    exit $?
    ;;
-*)
    usage
    ;;
*)
    [ $# -eq 2 ] || usage
    bin=$(abs_binary "$2") || exit 2
    if run_one "$1" "$bin"; then
        echo "PASS $1"
        exit 0
    fi
    exit 1
    ;;
esac
