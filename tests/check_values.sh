#!/bin/bash
# check_values.sh - the value checks of "postern check" (issue 16):
# transports, table types and files, TLS levels (testdata/check_values,
# whose README.md describes a case), and no false error on the corpus.
#
# Usage: tests/check_values.sh POSTERN_BINARY [CASE...|corpus]
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
bin=$(readlink -f "$1"); shift
data=$here/testdata/check_values
export LC_ALL=C
cases=("$@")
if [ ${#cases[@]} = 0 ]; then
    for d in "$data"/*/; do cases+=("$(basename "$d")"); done
    cases+=(corpus)
fi
pass=0 fail=0
bad() { echo "FAIL: $c: $*"; fail=$((fail + 1)); }

# run_case CASE: build the configuration in a scratch directory, check it
run_case() {
    local src=$data/$c d rc want line
    d=$(mktemp -d)
    cat "$data/base.main.cf" "$src/main.cf" > "$d/main.cf"
    cat "$data/base.master.cf" > "$d/master.cf"
    [ -f "$src/master.cf" ] && cat "$src/master.cf" >> "$d/master.cf"
    cp "$data/base.aliases" "$d/aliases"
    for f in "$src"/*; do
        case $(basename "$f") in main.cf|master.cf|expect) ;; *) cp "$f" "$d/" ;; esac
    done
    sed -i "s|@D@|$d|g" "$d"/*
    "$bin" check -c "$d" > "$d/.out" 2> "$d/.err"
    rc=$?
    local ok=1
    while IFS= read -r line; do
        case $line in
        "rc "*) want=${line#rc }
            [ "$rc" = "$want" ] || { bad "exit $rc, want $want"; ok=0; } ;;
        +*) grep -qE -- "${line#+}" "$d/.err" || { bad "no line matches /${line#+}/"; ok=0; } ;;
        -*) grep -qE -- "${line#-}" "$d/.err" && { bad "a line matches /${line#-}/"; ok=0; } ;;
        esac
    done < "$src/expect"
    if [ $ok = 1 ]; then pass=$((pass + 1)); echo "ok: $c"; else sed 's/^/  | /' "$d/.err"; fi
    rm -rf "$d"
}

# corpus: the transports every real master.cf has are never reported
# (a false error would refuse a working configuration), and a setting
# Postern cannot honour is (mailcow's smtp_tls_security_level = dane)
run_corpus() {
    local d err ok=1
    for d in "$here"/testdata/corpus/*/; do
        [ -f "$d/master.cf" ] || continue
        # iRedMail's samples are appended to the distribution's
        # master.cf by its installer: alone they define no smtp service,
        # and check is right to say default_transport has none
        grep -qE '^smtp[[:space:]]+unix' "$d/master.cf" || continue
        err=$("$bin" check -c "$d" 2>&1)
        if grep -E 'transport "(smtp|relay|local|error|retry|discard)" (is not|runs)' <<<"$err"; then
            bad "$(basename "$d"): a stock transport reported"; ok=0
        fi
        if grep -E 'table (hash|texthash|lmdb|btree|regexp|pcre|cidr|inline|static|proxy:unix):[^ ]*: unsupported' <<<"$err"; then
            bad "$(basename "$d"): a supported table type reported"; ok=0
        fi
    done
    for d in debian-dist debian-fresh postfix-3.7.11-conf; do
        err=$("$bin" check -c "$here/testdata/corpus/$d" 2>&1)
        if grep -E 'error: .*(main|master)\.cf:[0-9]+: .*(transport|table|TLS)' <<<"$err"; then
            bad "$d: a stock configuration has a value error"; ok=0
        fi
    done
    err=$("$bin" check -c "$here/testdata/corpus/mailcow" 2>&1)
    grep -qE 'main\.cf:[0-9]+: smtp_tls_security_level: TLS security level "dane" is not implemented' <<<"$err" \
        || { bad "mailcow: smtp_tls_security_level = dane not refused"; ok=0; }
    # lmtp is a delivery agent since issue 18: its transport is fine
    grep -qE 'main\.cf:[0-9]+: virtual_transport: "lmtp:inet:dovecot:24"' <<<"$err" \
        && { bad "mailcow: virtual_transport lmtp (an agent Postern runs) reported"; ok=0; }
    [ $ok = 1 ] && { pass=$((pass + 1)); echo "ok: corpus"; }
}

for c in "${cases[@]}"; do
    if [ "$c" = corpus ]; then run_corpus; else run_case; fi
done
echo "$pass passed, $fail failed"
[ $fail = 0 ]
