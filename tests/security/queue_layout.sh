#!/bin/bash
# queue_layout - a queue directory someone else can write (a
# misconfiguration Postfix warns about) holds "public" as a symlink to a
# root-owned directory. Starting as root must not chown or chmod the
# target: master checks and changes the layout through a descriptor
# opened without following links, and refuses to start, naming the path.
BIN=$1
. "$(dirname "$0")/lib.sh"

sec_setup
sec_user mallory
mkdir -p "$T/queue" "$T/victim"
chown "$(sec_name mallory)" "$T/queue"
chmod 755 "$T/victim"
as mallory ln -s "$T/victim" "$T/queue/public"
before=$(stat -c '%U:%G %a' "$T/victim")
if "$BIN" start -c "$T/etc" 2> "$T/start.err"; then
    MASTER_PID=$(tr -d ' ' < "$T/queue/pid/master.pid")
    fail "start went on with a symlinked public/"
fi
cat "$T/start.err"
grep -q "$T/queue/public: not a directory" "$T/start.err" ||
    fail "the error names the planted path"
after=$(stat -c '%U:%G %a' "$T/victim")
[ "$before" = "$after" ] || fail "the symlink's target changed: $before -> $after"
pass "a symlinked queue subdirectory is refused, its target untouched"
