#!/bin/bash
# edit_mapbuild_owner.sh - issue 15, the review of "postern map build"
# (finding 1's "same review"): root builds the index of a map whose source
# sits in a user's directory, as admins do for virtual/transport tables.
#  1. mallory makes her source a symlink to a root-only file: the index
#     root builds must not let her read that file's entries (postmap: the
#     index is no more readable than its source).
#  2. her own regular source: root builds the index as her (postmap's
#     set_eugid to the source's owner), so the index is hers and root
#     never writes on her behalf where she could not.
#  3. her source is a FIFO: the build must not hang.
BIN=$1
. "$(dirname "$0")/lib.sh"

T=$(mktemp -d /tmp/edit-mapbuild.XXXXXX)
chmod 755 "$T"
trap sec_cleanup EXIT
sec_user mallory
M=$(sec_name mallory)
D=$T/home
mkdir "$D"
chown "$M:$M" "$D"
printf 'root s3cretvalue\n' >"$T/secret"
chmod 600 "$T/secret"

# 1. a symlink to a root-only file
as mallory ln -s "$T/secret" "$D/virtual" || fail "ln as mallory"
timeout -k 2 10 "$BIN" map build "$D/virtual" || fail "map build (symlinked source) failed"
if as mallory grep -q s3cretvalue "$D/virtual.db" 2>/dev/null; then
    fail "root-only entries readable by mallory in $D/virtual.db ($(stat -c '%a %U:%G' "$D/virtual.db"))"
fi
pass "symlinked source: index $(stat -c '%a %U:%G' "$D/virtual.db"), not readable by mallory"

# 2. her own source: the index is built as her
as mallory bash -c 'printf "alice@example.com alice\n" >"$1/transport"' - "$D"
timeout -k 2 10 "$BIN" map build "$D/transport" || fail "map build (her source) failed"
[ "$(stat -c %U "$D/transport.db")" = "$M" ] ||
    fail "database of mallory's source written as $(stat -c %U "$D/transport.db"), not as mallory"
[ "$(as mallory "$BIN" map query "$D/transport" alice@example.com)" = alice ] ||
    fail "query of the index built as mallory"
pass "her source: index built as her ($(stat -c '%a %U:%G' "$D/transport.db")), query works"

# 3. a FIFO as the source
as mallory mkfifo "$D/relay" || fail "mkfifo as mallory"
out=$(timeout -k 2 10 "$BIN" map build "$D/relay" 2>&1)
rc=$?
[ $rc = 124 ] || [ $rc = 137 ] && fail "map build hung on a FIFO source"
[ $rc != 0 ] && [[ "$out" == *"$D/relay"* ]] || fail "FIFO source: rc=$rc $out"
pass "FIFO source refused at once: $out"
