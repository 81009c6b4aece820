#!/bin/sh
# lint_docs.sh - every rule in the lint rule table has docs/rules/ID.md.
here=$(cd "$(dirname "$0")/.." && pwd)
ids=$(grep -o '{"PL[0-9]*"' "$here/lib/tools/lint/lint_rules.c" | tr -d '{"')
pass=0 fail=0
for id in $ids; do
    if [ -s "$here/docs/rules/$id.md" ] && grep -q "^# $id " "$here/docs/rules/$id.md"; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1)); echo "missing docs/rules/$id.md"
    fi
done
echo "lint_docs: $pass passed, $fail failed"
[ "$fail" = 0 ] && [ "$pass" -gt 0 ]
