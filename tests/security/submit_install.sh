#!/bin/bash
# submit_install - "cmake --install" makes postdrop and postqueue set-gid
# setgid_group, mode 2755, and never postern (finding 6).
#
# Before: nothing installed the programs, and sendmail/postqueue were
# links to postern, so making them set-gid would have made the whole of
# postern (conf editing, the MTA) set-gid. Now postdrop and postqueue
# are separate small programs; the group is the POSTERN_SETGID_GROUP
# cache variable (default postdrop); when it does not exist the install
# says so and installs them without set-gid.
BIN=$1
. "$(dirname "$0")/lib.sh"

build=$(cd "$BINDIR/.." && pwd)
[ -f "$build/CMakeCache.txt" ] || fail "no CMakeCache.txt in $build"
group=$(sed -n 's/^POSTERN_SETGID_GROUP:STRING=//p' "$build/CMakeCache.txt")
[ -n "$group" ] || fail "no POSTERN_SETGID_GROUP in the cache"
T=$(mktemp -d /tmp/submit-install.XXXXXX)
trap 'rm -rf "$T"' EXIT
cmake --install "$build" --component programs --prefix "$T/usr" > "$T/log" 2>&1 ||
    { cat "$T/log"; fail "cmake --install"; }
cat "$T/log"
sbin=$T/usr/sbin
for p in postern postdrop postqueue; do
    [ -f "$sbin/$p" ] && [ ! -L "$sbin/$p" ] || fail "$p not installed as a program"
done
for l in postconf postfix sendmail mailq postsuper postmap postalias newaliases; do
    [ "$(readlink "$sbin/$l")" = postern ] || fail "$l is not a link to postern"
done
[ "$(stat -c %a "$sbin/postern")" = 755 ] || fail "postern mode $(stat -c %a "$sbin/postern")"
if getent group "$group" >/dev/null; then
    for p in postdrop postqueue; do
        [ "$(stat -c '%a %U %G' "$sbin/$p")" = "2755 root $group" ] ||
            fail "$p is $(stat -c '%a %U %G' "$sbin/$p"), want 2755 root $group"
    done
    pass "postdrop and postqueue set-gid $group, mode 2755; postern 0755"
else
    for p in postdrop postqueue; do
        [ "$(stat -c %a "$sbin/$p")" = 755 ] || fail "$p mode without the group"
    done
    grep -q "group \"$group\" does not exist" "$T/log" || fail "no warning about the missing group"
    pass "group $group missing: installed without set-gid, and said so"
fi
# the set-gid programs link no daemon or editor code
for sym in pcf_edit_main cleanup_service qmgr_service smtpd_service master_main repl_main; do
    if nm "$sbin/postdrop" "$sbin/postqueue" 2>/dev/null | grep -qw "$sym"; then
        fail "a set-gid program contains $sym"
    fi
done
pass "postdrop and postqueue contain no daemon, master or editor code"
