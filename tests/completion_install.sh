#!/bin/bash
# completion_install.sh - "cmake --install" puts the generated shell
# completions and the manual pages where bash-completion, zsh, fish and
# man look for them, and the installed completions are the generated ones.
#
# Usage: tests/completion_install.sh BUILD_DIR
set -u
build=$(readlink -f "$1")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! cmake --install "$build" --prefix "$tmp/usr" >"$tmp/log" 2>&1; then
    echo "FAIL: cmake --install:"; cat "$tmp/log"; exit 1
fi
fail=0
for f in share/bash-completion/completions/postern share/zsh/site-functions/_postern \
         share/fish/vendor_completions.d/postern.fish \
         share/man/man1/postern.1 share/man/man1/postern-conf.1 share/man/man1/postern-diff.1 \
         share/man/man1/postern-lint.1 share/man/man1/postern-dns.1 \
         share/man/man1/postern-repl.1 share/man/man1/postern-explain.1; do
    [ -s "$tmp/usr/$f" ] || { echo "FAIL: $f not installed"; fail=1; }
done
cmp -s "$build/completions/postern.bash" "$tmp/usr/share/bash-completion/completions/postern" ||
    { echo "FAIL: installed bash completion differs from the generated one"; fail=1; }
# Every parameter of the schema is in the completions (generated, not listed by hand).
n=$(grep -c '^- name:' "$(dirname "$0")"/../schemas/*.yaml | awk -F: '{ s += $2 } END { print s }')
m=$(sed -n "/^_postern_params='/,/^'/p" "$tmp/usr/share/bash-completion/completions/postern" | tr ' ' '\n' | grep -cE '^[A-Za-z0-9_]+$')
[ "$m" = "$n" ] || { echo "FAIL: bash completion has $m parameter names, schema has $n"; fail=1; }
[ $fail = 0 ] && echo "completion_install: ok ($m parameter names)"
exit $fail
