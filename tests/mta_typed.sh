#!/usr/bin/env bash
# mta_typed.sh - typed parameters (issue 16): a malformed value is
# refused by "postern check"/"start" with Postfix's wording and file:line,
# is fatal in the daemon that reads it (never a silent default), and a
# daemon's fatal reaches the maillog even when it cannot write the
# maillog itself (its stderr goes to master, which logs it).
#
#   mta_typed.sh BIN CASE      CASE: check | daemon | stderr
set -u
BIN=$1
CASE=$2
. "$(dirname "$0")/mta_lib.sh"

# connect: one SMTP connection to the instance (the front hands it to a
# smtpd worker, which reads its configuration)
connect() {
    $PY - "$PORT" <<'PY' || true
import socket, sys
try:
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 3)
    s.settimeout(3)
    s.recv(512)
    s.sendall(b"EHLO client.example.org\r\n")
    s.recv(4096)
    s.close()
except OSError:
    pass
PY
}

# reload: "postern reload" checks the values first (and refuses), so
# signal master directly, as "kill -HUP" or an init system would
reload() {
    as_user "$BIN" reload -c "$T/etc" >/dev/null 2>&1 &&
        fail "postern reload accepted a malformed value"
    kill -HUP "$MASTER_PID" || fail "kill -HUP master"
}

# line_of NAME FILE: the line number of "NAME =" in FILE
line_of() { grep -n "^$1 =" "$2" | cut -d: -f1; }

case $CASE in
check)
    mta_setup "message_size_limit = 10MB" "smtpd_use_tls = true" \
        "maximal_queue_lifetime = 5D" "maximal_backoff_time = 5ss"
    sed -i "s|^\(127.0.0.1:$PORT inet n - n - - smtpd\)|\1\n  -o smtpd_recipient_limit=0|" \
        "$T/etc/master.cf"
    out=$(as_user "$BIN" check -c "$T/etc" 2>&1) && fail "check accepted: $out"
    M=$T/etc/main.cf
    for want in \
        "postern: error: $M:$(line_of message_size_limit "$M"): bad numerical configuration: message_size_limit = 10MB" \
        "postern: error: $M:$(line_of smtpd_use_tls "$M"): bad boolean configuration: smtpd_use_tls = true" \
        "postern: error: $M:$(line_of maximal_queue_lifetime "$M"): parameter maximal_queue_lifetime: bad time value or unit: 5D" \
        "postern: error: $T/etc/master.cf:2: 127.0.0.1:$PORT/inet: invalid smtpd_recipient_limit parameter value 0 < 1"; do
        grep -qxF -- "$want" <<<"$out" || fail "check: no line \"$want\" in: $out"
    done
    # 5ss is 5 seconds to Postfix 3.7 (conv_time looks at one letter)
    grep -q maximal_backoff_time <<<"$out" && fail "check refused 5ss: $out"
    # start refuses too, and starts nothing
    as_user "$BIN" start -c "$T/etc" 2>"$T/start.err" && fail "start accepted"
    grep -qF "bad numerical configuration: message_size_limit = 10MB" \
        "$T/start.err" || fail "start: $(cat "$T/start.err")"
    [ -e "$T/queue/pid/master.pid" ] && fail "start left a master running"
    pass "check and start refuse malformed values with file:line"
    ;;
daemon)
    mta_setup
    mta_start
    # edited after start: check did not see it; the daemon must not run
    # with a default instead (it took strtol's 10 bytes before)
    echo "message_size_limit = 10MB" >> "$T/etc/main.cf"
    N=$(line_of message_size_limit "$T/etc/main.cf")
    reload
    connect
    wait_log "postfix/smtpd\[[0-9]+\]: fatal: $T/etc/main.cf, line $N: bad numerical configuration: message_size_limit = 10MB"
    pass "smtpd is fatal on a malformed main.cf value, with file:line"
    ;;
stderr)
    mta_setup
    # a command local runs (here with the alias table owner's rights)
    # writes on its stderr: that is not to reach the maillog (it went to
    # /dev/null before daemons' stderr was logged)
    echo 'cmdout: "|echo stderr-of-a-command | tr a-z A-Z >&2"' >> "$T/etc/aliases"
    mta_start
    $PY - "$PORT" <<'PY' || fail "send to cmdout"
import smtplib, sys
with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10) as c:
    c.sendmail("a@example.org", ["cmdout@local.test"], "Subject: c\r\n\r\nx\r\n")
PY
    wait_log "to=<cmdout@local\.test>, .*status=sent"
    sleep 0.5
    grep -F "STDERR-OF-A-COMMAND" "$T/maillog" &&
        fail "a delivery command's stderr reached the maillog"
    # the smtpd service cannot open its maillog_file: what it says goes
    # to its stderr, which master logs as the daemon's lines
    sed -i "s|^\(127.0.0.1:$PORT inet n - n - - smtpd\)|\1\n  -o maillog_file=$T/nodir/maillog\n  -o smtpd_timeout=5D|" \
        "$T/etc/master.cf"
    reload
    connect
    wait_log "postfix/smtpd\[[0-9]+\]: warning: open $T/nodir/maillog: No such file or directory"
    wait_log "postfix/smtpd\[[0-9]+\]: fatal: $T/etc/master.cf, line 2: parameter smtpd_timeout: bad time value or unit: 5D"
    grep -E "smtpd\[[0-9]+\]: postfix/smtpd" "$T/maillog" && fail "ident twice"
    pass "a daemon's stderr reaches the maillog as its own lines"
    ;;
*)
    fail "unknown case $CASE"
    ;;
esac
