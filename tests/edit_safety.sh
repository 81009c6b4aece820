#!/bin/bash
# edit_safety.sh - safety of "postern conf" edits under real faults.
# Usage: tests/edit_safety.sh POSTERN_BINARY
# Faults are real: strace(1) fault injection (ENOSPC on write, EROFS on
# rename, SIGKILL in the middle of writing), a full tmpfs, a read-only
# bind mount and an unprivileged user (the last three need root). A run
# that cannot inject every fault (not root, no usable strace) still runs
# the rest and fails on a failure, but exits 77 (skipped), not 0. Also: mode/owner kept, concurrent editors (ours and
# the real postconf) all land, a change made by someone else between our
# read and our rename is never overwritten, --dry-run, --backup, value
# checks and --force.
set -u
bin=$(readlink -f "$1")
export LC_ALL=C
pass=0 fail=0 skip=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
skipped() { skip=$((skip + 1)); echo "skip $*"; }
root=$(mktemp -d); trap 'cleanup' EXIT
cleanup() { umount "$root/ro" 2>/dev/null; umount "$root/full" 2>/dev/null; rm -rf "$root"; }
mkconf() { # mkconf DIR: a small config
    mkdir -p "$1"
    printf '# test config\nmyhostname = mail.example.com\nrelayhost =\n  # keep me\nmydestination = $myhostname, localhost\n' >"$1/main.cf"
    printf 'smtp inet n - y - - smtpd\n' >"$1/master.cf"
}
pc() { "$bin" conf "$@"; }
is_root=0; [ "$(id -u)" = 0 ] && is_root=1
have_strace=0; command -v strace >/dev/null && strace -f -o /dev/null true 2>/dev/null && have_strace=1

# 1. mode, owner and group are kept; no temp file is left.
d=$root/mode; mkconf "$d"; chmod 640 "$d/main.cf"
[ $is_root = 1 ] && chown nobody:mail "$d/main.cf"
before=$(stat -c '%a %U %G' "$d/main.cf")
if pc -c "$d" -e relayhost=[mx.example.com] && [ "$(stat -c '%a %U %G' "$d/main.cf")" = "$before" ] \
    && grep -q '^relayhost = \[mx.example.com\]$' "$d/main.cf" && [ ! -e "$d/main.cf.tmp" ]; then
    ok "edit keeps mode/owner/group ($before) and leaves no temp file"
else bad "mode/owner: before '$before' after '$(stat -c '%a %U %G' "$d/main.cf")'"; fi

# 2..4. injected faults leave the original untouched and name the file.
fault() { # fault NAME STRACE-INJECT EXPECT-TEXT
    local d=$root/$1; mkconf "$d"; cp "$d/main.cf" "$d/orig"
    local err
    err=$(strace -f -o /dev/null -e trace=write,rename,renameat,renameat2,fsync -e inject="$2" \
        "$bin" conf -c "$d" -e relayhost=[mx.example.com] 2>&1 >/dev/null); local rc=$?
    if [ $rc != 0 ] && cmp -s "$d/main.cf" "$d/orig" && [[ "$err" == *"$3"* ]] && [[ "$err" == *main.cf* ]]; then
        ok "$1: exit $rc, original untouched: $err"
    else bad "$1: rc=$rc err=$err"; fi
}
if [ $have_strace = 1 ]; then
    # write #1 is the temp file (diagnostics come after the failure).
    fault enospc 'write:error=ENOSPC:when=1' 'No space left on device'
    fault erofs-rename 'rename,renameat,renameat2:error=EROFS' 'Read-only file system'
    fault eio-fsync 'fsync:error=EIO' 'Input/output error'
    # killed while writing: original untouched, the next edit works.
    d=$root/killed; mkconf "$d"; cp "$d/main.cf" "$d/orig"
    strace -f -o /dev/null -e trace=write -e inject=write:signal=KILL:when=1 \
        "$bin" conf -c "$d" -e relayhost=[mx.example.com] >/dev/null 2>&1
    if cmp -s "$d/main.cf" "$d/orig" && pc -c "$d" -e relayhost=[mx2.example.com] \
        && grep -q 'mx2' "$d/main.cf" && [ ! -e "$d/main.cf.tmp" ]; then
        ok "killed mid-write: original untouched; next edit succeeds and cleans up"
    else bad "killed mid-write"; fi
else
    skipped "strace fault injection (strace not usable here)"
fi

if [ $is_root = 1 ]; then
    # a full filesystem
    d=$root/full; mkdir -p "$d"
    if mount -t tmpfs -o size=64k tmpfs "$d" 2>/dev/null; then
        mkconf "$d"; head -c 40000 /dev/zero | tr '\0' x >"$d/filler"; cp "$d/main.cf" "$root/full.orig"
        big=$(head -c 30000 /dev/zero | tr '\0' y)
        err=$(pc -c "$d" -e "smtpd_banner=$big" 2>&1 >/dev/null); rc=$?
        if [ $rc != 0 ] && cmp -s "$d/main.cf" "$root/full.orig" && [[ "$err" == *"No space left"* ]] && [ ! -e "$d/main.cf.tmp" ]; then
            ok "full tmpfs: $err"
        else bad "full tmpfs: rc=$rc $err"; fi
        umount "$d"
    else skipped "tmpfs mount not permitted"; fi
    # a read-only bind mount
    d=$root/ro; mkconf "$d"; cp "$d/main.cf" "$root/ro.orig"
    if mount --bind "$d" "$d" 2>/dev/null && mount -o remount,bind,ro "$d" 2>/dev/null; then
        err=$(pc -c "$d" -e relayhost=x 2>&1 >/dev/null); rc=$?
        if [ $rc != 0 ] && cmp -s "$d/main.cf" "$root/ro.orig" && [[ "$err" == *"Read-only file system"* ]]; then
            ok "read-only mount: $err"
        else bad "read-only mount: rc=$rc $err"; fi
        umount "$d"
    else skipped "bind mount not permitted"; fi
    # permission denied for an unprivileged user
    d=$root/perm; mkconf "$d"; chmod 755 "$root" "$d"; cp "$d/main.cf" "$root/perm.orig"
    if command -v setpriv >/dev/null; then
        err=$(setpriv --reuid=nobody --regid=nogroup --clear-groups "$bin" conf -c "$d" -e relayhost=x 2>&1 >/dev/null); rc=$?
        if [ $rc != 0 ] && cmp -s "$d/main.cf" "$root/perm.orig" && [[ "$err" == *"Permission denied"* ]]; then
            ok "permission denied: $err"
        else bad "permission denied: rc=$rc $err"; fi
    else skipped "setpriv missing"; fi
else
    skipped "tmpfs / read-only mount / unprivileged user (need root)"
fi

# 5. concurrent editors on different parameters all land (ours and postconf's).
d=$root/conc; mkconf "$d"
pids=()
for i in $(seq 1 20); do
    pc -c "$d" -e "p_ours_$i=$i" 2>/dev/null & pids+=($!)
    if [ -x /usr/sbin/postconf ]; then
        /usr/sbin/postconf -c "$d" -e "p_real_$i=$i" 2>/dev/null & pids+=($!)
    fi
done
wait "${pids[@]}"
want=20; [ -x /usr/sbin/postconf ] && want=40
got=$(grep -c '^p_\(ours\|real\)_[0-9]* = ' "$d/main.cf")
if [ "$got" = "$want" ] && grep -q '^relayhost =$' "$d/main.cf"; then
    ok "$want concurrent edits (postern and postconf) all landed"
else bad "concurrent edits: $got of $want landed"; fi

# 6. a change made by an editor between our read and our rename is kept.
if [ $have_strace = 1 ]; then
    d=$root/race; mkconf "$d"
    ( strace -f -o /dev/null -e trace=fsync -e inject=fsync:delay_enter=1500000:when=1 \
        "$bin" conf -c "$d" -e relayhost=ours >"$root/race.out" 2>&1; echo $? >"$root/race.rc" ) &
    sleep 0.5
    printf 'relayhost = theirs\n' >>"$d/main.cf"
    wait
    if [ "$(cat "$root/race.rc")" != 0 ] && grep -q 'theirs' "$d/main.cf" && ! grep -q ours "$d/main.cf" \
        && grep -q 'changed on disk' "$root/race.out"; then
        ok "concurrent outside change kept: $(cat "$root/race.out")"
    else bad "outside change: rc=$(cat "$root/race.rc") $(cat "$root/race.out")"; fi
else skipped "outside-change race (needs strace)"; fi

# 7. --dry-run shows a diff and writes nothing.
d=$root/dry; mkconf "$d"; cp "$d/main.cf" "$d/orig"
out=$(pc -c "$d" --dry-run -e relayhost=[mx.example.com]); rc=$?
if [ $rc = 0 ] && cmp -s "$d/main.cf" "$d/orig" && grep -q '^-relayhost =$' <<<"$out" \
    && grep -q '^+relayhost = \[mx.example.com\]$' <<<"$out" && [ ! -e "$d/main.cf.tmp" ]; then
    ok "--dry-run prints the diff, writes nothing"
else bad "--dry-run: $out"; fi

# 8. --backup keeps the previous file.
d=$root/bak; mkconf "$d"; cp "$d/main.cf" "$d/orig"
if pc -c "$d" --backup -e relayhost=x && cmp -s "$d/main.cf.bak" "$d/orig" \
    && pc -c "$d" --backup=.orig2 -e relayhost=y && grep -q '^relayhost = x$' "$d/main.cf.orig2"; then
    ok "--backup and --backup=SUFFIX keep the previous file"
else bad "--backup"; fi

# 9. invalid values are refused with an explanation; --force writes them.
d=$root/val; mkconf "$d"; cp "$d/main.cf" "$d/orig"
e1=$(pc -c "$d" -e message_size_limit=10MB 2>&1); r1=$?
e2=$(pc -c "$d" -e smtpd_tls_auth_only=maybe 2>&1); r2=$?
e3=$(pc -c "$d" -e maximal_queue_lifetime=5x 2>&1); r3=$?
if [ $r1 = 1 ] && [ $r2 = 1 ] && [ $r3 = 1 ] && cmp -s "$d/main.cf" "$d/orig" \
    && [[ "$e1" == *"plain number"* ]] && [[ "$e2" == *"yes or no"* ]] && [[ "$e3" == *"time"* ]]; then
    ok "invalid values refused: $e1 | $e2"
else bad "value checks: $r1 $e1 | $r2 $e2 | $r3 $e3"; fi
if pc -c "$d" --force -e message_size_limit=10MB 2>/dev/null && grep -q '^message_size_limit = 10MB$' "$d/main.cf" \
    && pc -c "$d" -e 'message_size_limit=$other' && pc -c "$d" -e message_size_limit=10485760; then
    ok "--force writes an invalid value; \$name values and valid ones pass"
else bad "--force"; fi

echo "edit_safety: $pass passed, $fail failed, $skip skipped"
[ $fail = 0 ] || exit 1
# a fault that could not be injected was not tested: the run as a whole
# is reported skipped (77), never passed (the lines "skip ..." say why)
if [ $skip != 0 ]; then
    echo "edit_safety: skipped: $skip fault(s) could not be injected here (see the skip lines)"
    exit 77
fi
exit 0
