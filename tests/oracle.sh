#!/bin/bash
# oracle.sh - compare "postconf" (our binary under that name) with the
# outputs of the real Postfix 3.7.11 postconf in testdata/oracle.
#
# Usage: tests/oracle.sh BINARY [ENTRY...]
#   Runs every read mode of testdata/oracle/README.md for every corpus
#   entry (or the named ones) and compares stdout, stderr and exit
#   status byte for byte. Prints one line per difference and a summary
#   "N passed, M failed"; exits 1 when anything differs.
#
# Host dependence is pinned exactly as the oracle was produced: a fresh
# UTS+network+PID namespace (hostname mail.example.com, only loopback
# up, the program is PID 1), NORANDOMIZE=1, LC_ALL=C, argv[0] "postconf",
# and the scratch configuration at /tmp/postconf-oracle/ENTRY.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
bin=$(readlink -f "$1"); shift
data=$here/testdata
work=/tmp/postconf-oracle
export NORANDOMIZE=1 LC_ALL=C
ns=(--uts --net --pid --fork)
[ "$(id -u)" = 0 ] || ns=(--user --map-root-user "${ns[@]}")
if ! unshare "${ns[@]}" true 2>/dev/null; then
    echo "oracle.sh: unshare does not work here; cannot pin hostname/interfaces" >&2
    exit 77
fi
pass=0 fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

run() { # run STEM ARGS...: compare with oracle STEM.{out,err,rc}
    local want=$1; shift
    unshare "${ns[@]}" bash -c 'hostname mail.example.com && ip link set lo up && exec -a postconf "$@"' \
        x "$bin" "$@" >"$tmp/out" 2>"$tmp/err"
    echo $? >"$tmp/rc"
    local bad=""
    cmp -s "$tmp/out" "$want.out" || bad="$bad stdout"
    cmp -s "$tmp/err" "$want.err" || bad="$bad stderr"
    cmp -s "$tmp/rc" "$want.rc" || bad="$bad rc"
    if [ -z "$bad" ]; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL ${want#$data/oracle/}:$bad   (postconf $*)"
        if [ -n "${VERBOSE:-}" ]; then
            diff "$want.out" "$tmp/out" | head -10
            diff "$want.err" "$tmp/err" | head -10
        fi
    fi
}

entries=("$@")
if [ ${#entries[@]} = 0 ]; then
    for d in "$data"/corpus/*/; do entries+=("$(basename "$d")"); done
    entries+=(_defaults)
fi
for e in "${entries[@]}"; do
    dir=$work/$e
    rm -rf "$dir"; mkdir -p "$dir"
    o=$data/oracle/$e
    if [ "$e" = _defaults ]; then
        : >"$dir/main.cf"; cp "$data/oracle/master.cf.dist" "$dir/master.cf"
        run "$o/d" -c "$dir" -d
        run "$o/dx" -c "$dir" -dx
        run "$o/m" -c "$dir" -m
        run "$o/a" -c "$dir" -a
        run "$o/A" -c "$dir" -A
        run "$o/l" -c "$dir" -l
        run "$o/mail_version" -c "$dir" -h mail_version
        dir2=$work/_defaults-empty-master
        rm -rf "$dir2"; mkdir -p "$dir2"; : >"$dir2/main.cf"; : >"$dir2/master.cf"
        run "$o/d-empty-master" -c "$dir2" -d
        continue
    fi
    c=$data/corpus/$e
    if [ -f "$c/main.cf" ]; then cp "$c/main.cf" "$dir/"; else : >"$dir/main.cf"; fi
    if [ -f "$c/master.cf" ]; then cp "$c/master.cf" "$dir/"; else cp "$data/oracle/master.cf.dist" "$dir/master.cf"; fi
    # A file changed in the last second is re-read until it cools down
    # (dict_load_file_xt), which only costs time here.
    touch -d "1 hour ago" "$dir/main.cf"
    run "$o/n" -c "$dir" -n
    run "$o/nx" -c "$dir" -nx
    run "$o/nf" -c "$dir" -nf
    run "$o/M" -c "$dir" -M
    run "$o/Mf" -c "$dir" -Mf
    run "$o/Mx" -c "$dir" -Mx
    run "$o/F" -c "$dir" -F
    run "$o/P" -c "$dir" -P
    run "$o/Px" -c "$dir" -Px
    run "$o/all" -c "$dir"
    run "$o/h_myhostname_mydestination" -c "$dir" -h myhostname mydestination
done
echo "oracle: $pass passed, $fail failed"
[ $fail = 0 ]
