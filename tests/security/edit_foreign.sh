#!/bin/bash
# edit_foreign.sh - finding 1 of issue 15, the "owned by us" rule: a user
# with write access to a configuration directory (group-writable, as when
# a team shares one) plants main.cf.tmp as a regular file of her own and
# keeps it open. main.cf is root's, 0600, with a secret in it. Before the
# fix root's edit reused her file for the new main.cf (then chowned it to
# root), and she read the secret through the descriptor she kept. Now a
# main.cf.tmp that is not ours is removed (after we hold its lock) and
# root writes into a file of its own.
BIN=$1
. "$(dirname "$0")/lib.sh"

T=$(mktemp -d /tmp/edit-foreign.XXXXXX)
chmod 755 "$T"
trap sec_cleanup EXIT
sec_user mallory
M=$(sec_name mallory)
D=$T/conf
mkdir "$D" "$T/loot"
chown "root:$M" "$D"
chmod 775 "$D"
chown "$M:$M" "$T/loot"
printf '# ldap bind password: hunter2\nmyhostname = mail.example.com\nrelayhost =\n' >"$D/main.cf"
chmod 600 "$D/main.cf"
touch "$D/master.cf"

# mallory: create main.cf.tmp, keep it open, say so, read it later
as mallory bash -c '
    umask 077
    exec 3<>"$1/main.cf.tmp" || exit 1
    : >"$2/ready"
    for _ in $(seq 100); do [ -e "$2/go" ] && break; sleep 0.1; done
    cat <&3 >"$2/read"
' - "$D" "$T/loot" &
spy=$!
for _ in $(seq 100); do [ -e "$T/loot/ready" ] && break; sleep 0.1; done
[ -e "$T/loot/ready" ] || fail "mallory's file was not planted"

out=$(timeout -k 2 10 "$BIN" conf -c "$D" -e 'relayhost=[mx.example.com]' 2>&1)
rc=$?
touch "$T/loot/go"
wait $spy

if grep -q hunter2 "$T/loot/read"; then
    fail "mallory read root's main.cf through the main.cf.tmp she planted: $(head -1 "$T/loot/read")"
fi
[ $rc = 0 ] || fail "edit failed: rc=$rc $out"
grep -q '^relayhost = \[mx.example.com\]$' "$D/main.cf" || fail "edit did not land"
[ "$(stat -c '%a %U' "$D/main.cf")" = "600 root" ] || fail "main.cf is now $(stat -c '%a %U' "$D/main.cf")"
pass "her main.cf.tmp was not reused ($out); main.cf edited, still 600 root"
