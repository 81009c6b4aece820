#!/bin/sh
# exports.sh - every function or object a static library of the build
# exports carries the library's prefix ("smtpd_..." in libsmtpd.a), or one
# that tests/style/exports.allow grants it with a reason (issue 17: one
# module, one prefix). Names a newcomer meets in a stack trace then say
# where they live. Names starting with "__" are the compiler's (ASan's
# __odr_asan.*), not ours.
#
# Usage: exports.sh BUILD_DIR ALLOW_FILE; 0 clean, 1 with each offender.
build=$1
allow=$2
status=0
libs=$(find "$build" -name 'lib*.a' | sort)
[ -n "$libs" ] || { echo "exports.sh: no static libraries under $build" >&2; exit 2; }
for a in $libs; do
    m=$(basename "$a" .a)
    m=${m#lib}
    prefixes="${m}_ $(awk -v m="$m" '!/^#/ && $1 == m {print $2}' "$allow")"
    bad=$(nm -g --defined-only "$a" 2>/dev/null |
        awk '$2 ~ /^[TDBRC]$/ && $3 !~ /^__/ {print $3}' |
        while read -r sym; do
            ok=0
            for p in $prefixes; do
                case $sym in "$p"*) ok=1; break ;; esac
            done
            [ $ok = 1 ] || echo "$sym"
        done)
    if [ -n "$bad" ]; then
        echo "$bad" | sed "s|^|lib$m.a: exports |"
        status=1
    fi
done
[ $status = 0 ] || echo "exports.sh: symbols above lack their module's prefix" >&2
exit $status
