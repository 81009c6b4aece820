#!/bin/bash
# local_default_privs - an unknown or privileged default_privs or
# mail_owner stops "postern start" and is reported by "postern check".
#
# Attack: with default_privs naming no user, local fell back to its own
# (root) rights, and every alias |command ran as root. Postfix refuses
# to start: "file main.cf: parameter default_privs: unknown user name
# value: X", "... user X has privileged user ID".
BIN=$1
. "$(dirname "$0")/lib.sh"
sec_setup
NOSUCH=pstnosuch$$

try() { # PARAM VALUE EXPECTED-TEXT
    sed -i "/^$1 = /d" "$T/etc/main.cf"
    echo "$1 = $2" >> "$T/etc/main.cf"
    "$BIN" check -c "$T/etc" 2> "$T/check.err" &&
        fail "postern check accepts $1 = $2"
    grep -qF "$3" "$T/check.err" || { cat "$T/check.err" >&2; fail "check: no '$3'"; }
    "$BIN" start -c "$T/etc" 2> "$T/start.err" && {
        MASTER_PID=$(tr -d ' ' < "$T/queue/pid/master.pid")
        fail "postern start accepts $1 = $2"; }
    grep -qF "$3" "$T/start.err" || { cat "$T/start.err" >&2; fail "start: no '$3'"; }
    [ -e "$T/queue/pid/master.pid" ] && kill -0 "$(tr -d ' ' < "$T/queue/pid/master.pid")" 2>/dev/null &&
        fail "a master is running"
    pass "$1 = $2: start and check refuse it, naming the parameter"
}
try default_privs "$NOSUCH" "main.cf: parameter default_privs: unknown user name value: $NOSUCH"
try default_privs root "main.cf: parameter default_privs: user root has privileged user ID"
sed -i "/^default_privs = /d" "$T/etc/main.cf"
echo "default_privs = nobody" >> "$T/etc/main.cf"
try mail_owner "$NOSUCH" "main.cf: parameter mail_owner: unknown user name value: $NOSUCH"
try mail_owner root "main.cf: parameter mail_owner: user root has privileged user ID"
