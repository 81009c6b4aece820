#!/bin/sh
# format.sh - every C file in lib/, cmd/, tools/ and fuzz/ is as the repo's
# .clang-format lays it out (issue 17). Formatting differs between
# clang-format releases, so the check runs with Debian 12's (14); with
# another, or none, it is skipped (exit 77) and says so.
# Usage: tests/style/format.sh SOURCE_DIR
# To fix: clang-format -i FILE (with clang-format 14).
root=${1:?usage: format.sh SOURCE_DIR}
cf=
for c in clang-format-14 clang-format; do
    if command -v "$c" >/dev/null 2>&1 &&
        "$c" --version | grep -q 'version 14\.'; then
        cf=$c
        break
    fi
done
if [ -z "$cf" ]; then
    echo "skip: clang-format 14 (Debian 12's) is not installed"
    exit 77
fi
cd "$root" || exit 2
bad=$(find lib cmd tools fuzz -name '*.[ch]' | sort | while read -r f; do
    "$cf" --dry-run --Werror "$f" >/dev/null 2>&1 || echo "$f"
done)
if [ -n "$bad" ]; then
    echo "format: not as .clang-format lays them out (clang-format -i FILE):"
    echo "$bad"
    exit 1
fi
echo "format: ok"
