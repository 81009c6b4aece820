#!/bin/bash
# submit_postqueue - mailq and postqueue for a local user, through the
# set-gid postqueue and the showq service (finding 6).
#
# The queue store is mail_owner's (0700) and public/ is closed to
# ordinary users, so a user's mailq works only as Postfix's does: the
# set-gid postqueue asks public/showq, which reads the store as
# mail_owner. Its hardening: a user's -c or MAIL_CONFIG is refused
# unless the default main.cf lists it; without the set-gid bit the
# program gets nothing.
BIN=$1
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/submit_lib.inc"
submit_need_ns

sec_setup
sec_user mallory
submit_install
mta_start
ln -s "$BIN" "$T/mailq"

# a message that stays queued: remote.example does not resolve here
$PY - "$PORT" <<'PY' || fail "submit"
import smtplib, sys
with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=5) as s:
    s.sendmail("queued@example.com", ["someone@remote.example"], "Subject: q\r\n\r\nx\r\n")
PY
wait_log 'to=<someone@remote\.example>, .*status=deferred' 1

as_submitter mallory "$T/bin/postqueue" -c "$T/etc" -p > "$T/pq.out" 2>&1 ||
    { cat "$T/pq.out"; fail "postqueue -p as mallory"; }
cat "$T/pq.out"
grep -qE '^[0-9A-F]+ +[0-9]+ .* queued@example\.com$' "$T/pq.out" || fail "postqueue -p listing"
grep -q 'someone@remote.example' "$T/pq.out" || fail "postqueue -p recipient"
pass "postqueue -p as mallory (set-gid, through public/showq)"

as_submitter mallory env MAIL_CONFIG="$T/etc" "$T/mailq" > "$T/mq.out" 2>&1 ||
    { cat "$T/mq.out"; fail "mailq as mallory"; }
grep -q -- '-- 1 Kbytes in 1 Request.' "$T/mq.out" || { cat "$T/mq.out"; fail "mailq summary"; }
pass "mailq as mallory"

as_submitter mallory "$T/bin/postqueue" -c "$T/etc" -f || fail "postqueue -f as mallory"
pass "postqueue -f as mallory"

# without the set-gid bit: no way in
as mallory env MAIL_CONFIG="$T/etc" "$BINDIR/postqueue" -p > "$T/np.out" 2>&1 &&
    { cat "$T/np.out"; fail "postqueue without set-gid listed the queue"; }
cat "$T/np.out"
grep -q 'postqueue: fatal: Queue report unavailable - mail system is down' "$T/np.out" ||
    fail "message without privileges"
pass "without the set-gid bit, mallory gets no listing"

# her own configuration directory (queue_directory of her choosing) is
# refused, from -c and from MAIL_CONFIG
mkdir -p "$T/evil"
cp "$T/etc/main.cf" "$T/evil/main.cf"
chmod -R a+rX "$T/evil"
as_submitter mallory "$T/bin/postqueue" -c "$T/evil" -p > "$T/ev.out" 2>&1 && fail "-c $T/evil accepted"
grep -q "postqueue: error: untrusted configuration directory name: $T/evil" "$T/ev.out" ||
    { cat "$T/ev.out"; fail "-c refusal"; }
as_submitter mallory env MAIL_CONFIG="$T/evil" "$T/bin/postqueue" -p > "$T/ev.out" 2>&1 &&
    fail "MAIL_CONFIG=$T/evil accepted"
grep -q "postqueue: error: untrusted configuration directory name: $T/evil" "$T/ev.out" ||
    { cat "$T/ev.out"; fail "MAIL_CONFIG refusal"; }
pass "a user's own configuration directory is refused"

# the set-gid programs refuse a queue directory they should not trust
sed -i "s|^queue_directory = .*|queue_directory = $T/evilq|" "$T/evil/main.cf"
mkdir -p "$T/evilq/maildrop" "$T/evilq/public"
chmod 777 "$T/evilq"
echo "alternate_config_directories = $T/etc, $T/evil" > "$T/defconf/main.cf"
as_submitter mallory "$T/bin/postqueue" -c "$T/evil" -p > "$T/ev.out" 2>&1 && fail "writable queue dir accepted"
cat "$T/ev.out"
grep -q "postqueue: fatal: queue_directory $T/evilq: not owned by root or mail_owner, or writable by others" "$T/ev.out" ||
    fail "queue directory refusal"
pass "a queue directory writable by others is refused"
