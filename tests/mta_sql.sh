#!/bin/bash
# mta_sql - a mail host whose virtual domains, mailboxes and aliases
# live in PostgreSQL (started here, tests/sql_lib.sh): mail delivered
# into the Maildirs the database names; the database stopped mid-run:
# 451 4.3.0 at RCPT (never 550), mail submitted meanwhile deferred, not
# bounced; the database back: everything delivered, nothing lost.
#
# pgsql_proxy (root): smtpd chrooted to the queue directory reaches
# the proxy:pgsql: tables through the proxymap service, whose connection
# to the database serves every client.
# pgsql_postfix (root): the same tables and the same database outage
# through a real Postfix 3.7: the RCPT replies and reject lines agree.
# pgsql_agent: the virtual agent's own lookup (virtual_mailbox_maps)
# fails at delivery: the recipient deferred (4.3.5 "mail system
# configuration error", as Postfix's virtual), delivered once the
# database is back.
# mysql_sasl: smtpd_sender_login_maps in MariaDB with SASL (Dovecot):
# owned senders pass, others 553, the database down: 451 4.3.0, back:
# accepted again.
#
# usage: mta_sql.sh POSTERN CASE   (CASE: pgsql_down, mysql_sasl)
set -u
BIN=$1
CASE=$2
. "$(dirname "$0")/mta_lib.sh"
. "$(dirname "$0")/sql_lib.sh"

V_UID=$(id -u "$RUN_USER")
V_GID=$(id -g "$RUN_USER")

# send FROM RCPT...: the reply to each RCPT ("RCPT addr code text") and
# to DATA
send() {
    $PY - "$PORT" "$@" <<'PY'
import smtplib, sys
port, sender, rcpts = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
s = smtplib.SMTP("127.0.0.1", port, timeout=20)
s.ehlo("client.example.net")
s.mail(sender)
ok = []
for r in rcpts:
    code, text = s.rcpt(r)
    print("RCPT %s %d %s" % (r, code, text.decode()))
    if code == 250:
        ok.append(r)
if ok:
    code, text = s.data("From: %s\r\nSubject: sql %s\r\n\r\nbody\r\n"
                        % (sender, " ".join(ok)))
    print("DATA %d %s" % (code, text.decode()))
s.quit()
PY
}

sql_setup() {
    mta_setup
    trap 'sql_stop_all; cleanup_instance' EXIT
    sql_pg_start "$T/pg" || exit 77
    sql_pg <<'SQL' || fail "fixtures"
CREATE TABLE vdomains (domain TEXT);
INSERT INTO vdomains VALUES ('vhost.test');
CREATE TABLE vmailbox (email TEXT, maildir TEXT);
INSERT INTO vmailbox VALUES ('ann@vhost.test', 'vhost.test/ann/'),
                            ('ben@vhost.test', 'vhost.test/ben/');
CREATE TABLE valias (source TEXT, dest TEXT);
INSERT INTO valias VALUES ('info@vhost.test', 'ann@vhost.test'),
                          ('info@vhost.test', 'ben@vhost.test');
SQL
    local c="hosts = $PG_SOCK
dbname = mail
user = $RUN_USER
retry_interval = 1"
    printf '%s\nquery = SELECT domain FROM vdomains WHERE domain=%s\n' "$c" "'%s'" > "$T/etc/vdomains.cf"
    printf '%s\nquery = SELECT maildir FROM vmailbox WHERE email=%s\n' "$c" "'%s'" > "$T/etc/vmailbox.cf"
    printf '%s\nquery = SELECT dest FROM valias WHERE source=%s\ndomain = vhost.test\n' "$c" "'%s'" > "$T/etc/valias.cf"
    cat >> "$T/etc/main.cf" <<CF
virtual_mailbox_domains = ${PROXY:-}pgsql:$T/etc/vdomains.cf
virtual_mailbox_maps = ${PROXY:-}pgsql:$T/etc/vmailbox.cf
virtual_alias_maps = ${PROXY:-}pgsql:$T/etc/valias.cf
virtual_mailbox_base = $T/vmail
virtual_uid_maps = static:$V_UID
virtual_gid_maps = static:$V_GID
queue_run_delay = 2s
minimal_backoff_time = 2s
maximal_backoff_time = 4s
header_checks = regexp:$T/etc/hdr
CF
    echo '/^Subject: sql hold/ HOLD' > "$T/etc/hdr"
    # pickup looks into the maildrop every 2 s (mail refused by cleanup
    # while the database is down waits there)
    sed -i 's/^pickup\( *unix *n *- *n *\)60/pickup\12 /' "$T/etc/master.cf"
    echo "virtual   unix  -       n       n      -      -       virtual" >> "$T/etc/master.cf"
    mkdir -p "$T/vmail"
    if [ "$(id -u)" = 0 ]; then chown -R nobody "$T/etc" "$T/vmail"; fi
}

nmail() { ls "$T/vmail/vhost.test/$1/new" 2>/dev/null | wc -l; }

case_pgsql_down() {
    sql_setup
    mta_start
    send a@example.com ann@vhost.test info@vhost.test nosuch@vhost.test > "$T/r1"
    grep -q '^RCPT nosuch@vhost.test 550 5.1.1 ' "$T/r1" || { cat "$T/r1"; fail "unknown user: 550 5.1.1"; }
    grep -q '^DATA 250 ' "$T/r1" || { cat "$T/r1"; fail "accepted"; }
    wait_log 'status=sent' 3
    [ "$(nmail ann)" = 2 ] && [ "$(nmail ben)" = 1 ] ||
        fail "ann $(nmail ann) (want 2), ben $(nmail ben) (want 1)"
    pass "virtual domains, mailboxes and aliases from PostgreSQL"

    # a message held in the queue, released while the database is down:
    # the lookups of delivery (address resolution, the virtual agent)
    # fail and it is deferred, not bounced
    $PY - "$PORT" <<'PY' || fail "held message"
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=20)
s.sendmail("a@example.com", ["ann@vhost.test"], "Subject: sql hold\r\n\r\nheld\r\n")
s.quit()
PY
    wait_log ': hold: header Subject: sql hold' 1
    hid=$(grep -oE '[0-9A-F]+: hold: header Subject: sql hold' "$T/maillog" | cut -d: -f1)
    ln -s "$BIN" "$T/postsuper"

    sql_pg_stop
    as_user env MAIL_CONFIG="$T/etc" "$T/postsuper" -H "$hid" >/dev/null 2>&1 || fail "postsuper -H"
    wait_log "$hid: .*status=deferred|$hid: .*lookup" 1
    grep -E "$hid: .*status=bounced" "$T/maillog" && fail "the released message bounced"
    pass "released while down: $(grep -E "$hid: .*(status=deferred|lookup)" "$T/maillog" | head -1 | sed 's/.*\]: //')"
    send a@example.com ann@vhost.test > "$T/r2"
    grep -qE '^RCPT ann@vhost.test 451 4\.3\.0 ' "$T/r2" ||
        { cat "$T/r2"; tail -5 "$T/maillog"; fail "database down: 451 4.3.0 at RCPT"; }
    pass "database down: $(head -1 "$T/r2")"
    grep -E 'warning: connect to pgsql server' "$T/maillog" | tail -1 | grep -q . ||
        fail "Postfix's warning: connect to pgsql server ..."
    # submitted locally meanwhile: deferred, not bounced
    printf 'Subject: while down\n\nbody\n' |
        as_user "$BIN" sendmail -C "$T/etc" -f local@local.test ben@vhost.test ||
        fail "sendmail"
    sleep 4
    grep -E 'status=bounced' "$T/maillog" && fail "a message bounced while the database was down"
    [ "$(nmail ben)" = 1 ] || fail "delivered while the database was down?"
    pass "submitted while down: not bounced, not delivered ($(grep -cE 'status=deferred|lookup|4\.3\.0' "$T/maillog") deferral/lookup lines)"

    sql_pg_start "$T/pg" || fail "postgres restart"
    # retry_interval (60 s) keeps a failed host out; the queue retries
    for _ in $(seq 40); do
        [ "$(nmail ben)" = 2 ] && [ "$(nmail ann)" = 3 ] && break
        sleep 1
    done
    [ "$(nmail ben)" = 2 ] && [ "$(nmail ann)" = 3 ] ||
        { tail -20 "$T/maillog"; fail "delivered after the database came back (ann $(nmail ann), ben $(nmail ben))"; }
    send a@example.com ann@vhost.test > "$T/r3"
    grep -q '^DATA 250 ' "$T/r3" || { cat "$T/r3"; fail "accepted again"; }
    pass "database back: the deferred and the refused messages delivered, new mail accepted"
}

case_pgsql_proxy() {
    if [ "$(id -u)" != 0 ]; then echo "skip: a chroot jail needs root"; exit 77; fi
    PROXY=proxy:
    sql_setup
    echo "mail_owner = nobody" >> "$T/etc/main.cf"
    sed -i "s/^127.0.0.1:$PORT inet n - n - - smtpd/127.0.0.1:$PORT inet n - y - - smtpd/" "$T/etc/master.cf"
    echo "proxymap  unix  -       -       n      -      -       proxymap" >> "$T/etc/master.cf"
    chown root "$T/etc" "$T/etc/main.cf" "$T/etc/master.cf"
    "$BIN" start -c "$T/etc" 2> "$T/start.err" || { cat "$T/start.err"; fail "start as root"; }
    MASTER_PID=$(tr -d ' ' < "$T/queue/pid/master.pid")
    send a@example.com ann@vhost.test info@vhost.test nosuch@vhost.test > "$T/r1"
    grep -q '^RCPT nosuch@vhost.test 550 5.1.1 ' "$T/r1" || { cat "$T/r1"; tail "$T/maillog"; fail "unknown user: 550 5.1.1"; }
    grep -q '^DATA 250 ' "$T/r1" || { cat "$T/r1"; fail "accepted"; }
    pid=$(pgrep -s "$MASTER_PID" -x smtpd | head -1)
    [ "$(readlink "/proc/$pid/root")" = "$T/queue" ] || fail "smtpd is chrooted to the queue directory"
    pgrep -s "$MASTER_PID" -x proxymap >/dev/null || fail "no proxymap process"
    wait_log 'status=sent' 3
    pass "chrooted smtpd: proxy:pgsql: tables through proxymap"
    sql_pg_stop
    send a@example.com ann@vhost.test > "$T/r2"
    grep -qE '^RCPT ann@vhost.test 451 4\.3\.0 ' "$T/r2" ||
        { cat "$T/r2"; tail -5 "$T/maillog"; fail "database down behind proxymap: 451 4.3.0"; }
    grep -qE 'proxymap\[[0-9]+\]: warning: (pgsql query failed|connect to pgsql server)' "$T/maillog" ||
        { tail -8 "$T/maillog"; fail "the proxymap service (not smtpd) talks to the database"; }
    grep -qE 'smtpd\[[0-9]+\]: warning: (pgsql query failed|connect to pgsql server)' "$T/maillog" &&
        fail "smtpd inside the jail talked to the database itself"
    pass "database down behind proxymap: $(head -1 "$T/r2")"
}

case_pgsql_agent() {
    sql_setup
    # domains in main.cf: only the virtual agent asks the database
    sed -i 's/^virtual_mailbox_domains = .*/virtual_mailbox_domains = vhost.test/' "$T/etc/main.cf"
    mta_start
    $PY - "$PORT" <<'PY' || fail "held message"
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=20)
s.sendmail("a@example.com", ["ben@vhost.test"], "Subject: sql hold\r\n\r\nheld\r\n")
s.quit()
PY
    wait_log ': hold: header Subject: sql hold' 1
    hid=$(grep -oE '[0-9A-F]+: hold: header Subject: sql hold' "$T/maillog" | cut -d: -f1)
    ln -s "$BIN" "$T/postsuper"
    sql_pg_stop
    as_user env MAIL_CONFIG="$T/etc" "$T/postsuper" -H "$hid" >/dev/null 2>&1 || fail "postsuper -H"
    wait_log "virtual\[[0-9]+\]: $hid: to=<ben@vhost.test>, .*dsn=4\.3\.[0-9], status=deferred" 1
    grep -E "$hid: .*status=bounced" "$T/maillog" && fail "bounced while the database was down"
    pass "virtual agent, database down: $(grep -E "virtual\[[0-9]+\]: $hid: .*status=deferred" "$T/maillog" | head -1 | sed 's/.*status=/status=/')"
    sql_pg_start "$T/pg" || fail "postgres restart"
    for _ in $(seq 30); do [ "$(nmail ben)" = 1 ] && break; sleep 1; done
    [ "$(nmail ben)" = 1 ] || { tail -8 "$T/maillog"; fail "delivered after the database came back"; }
    pass "database back: delivered"
}

# rejects FILE: smtpd's reject lines without the prefix
rejects() { grep -oE 'NOQUEUE: reject: RCPT from .*' "$1" | sed 's/ helo=<[^>]*>//' | sort; }

case_pgsql_postfix() {
    . "$(dirname "$0")/postfix_peer.sh"
    local why
    why=$(pf_need)
    [ -z "$why" ] || { echo "skip: $why"; exit 77; }
    sql_setup
    mta_start
    PFD=$T/pf
    PFPORT=$(free_port)
    mkdir -p "$PFD/etc"
    { pf_main_cf "$PFD"; pf_local_cf; grep -E '^virtual_' "$T/etc/main.cf"
      echo "smtpd_reject_unlisted_recipient = yes"; } > "$PFD/etc/main.cf"
    pf_master_cf "127.0.0.1:$PFPORT inet n - n - - smtpd" > "$PFD/etc/master.cf"
    trap 'pf_stop "$PFD"; sql_stop_all; cleanup_instance' EXIT
    pf_start "$PFD" "$PFPORT" || exit 77
    for p in "$PORT" "$PFPORT"; do
        PORT=$p send a@example.com ann@vhost.test nosuch@vhost.test |
            grep '^RCPT' > "$T/up.$p"
    done
    diff "$T/up.$PFPORT" "$T/up.$PORT" || fail "RCPT replies differ (< Postfix, > Postern)"
    sql_pg_stop
    for p in "$PORT" "$PFPORT"; do
        PORT=$p send a@example.com ann@vhost.test nosuch@vhost.test |
            grep '^RCPT' > "$T/down.$p"
    done
    diff "$T/down.$PFPORT" "$T/down.$PORT" ||
        fail "database down: RCPT replies differ (< Postfix, > Postern)"
    grep -q ' 451 4\.3\.0 ' "$T/down.$PORT" || fail "451 4.3.0 with the database down"
    rejects "$T/maillog" > "$T/rej.postern"
    rejects "$PFD/maillog" > "$T/rej.postfix"
    diff "$T/rej.postfix" "$T/rej.postern" || fail "reject lines differ (< Postfix, > Postern)"
    pass "as Postfix 3.7 with the same pgsql tables, up and down: $(tr '\n' ' ' < "$T/down.$PORT")"
    grep -oE "smtpd\[[0-9]+\]: warning: .*lookup.*" "$PFD/maillog" | sed "s/\[[0-9]*\]//" | sort -u > "$T/warn.postfix"
    grep -oE "smtpd\[[0-9]+\]: warning: .*lookup.*" "$T/maillog" | sed "s/\[[0-9]*\]//" | sort -u > "$T/warn.postern"
    # informational: Postern resolves in smtpd (virtual_mailbox_domains
    # first), Postfix in trivial-rewrite, so the first failing table differs
    diff "$T/warn.postfix" "$T/warn.postern" || echo "(info: lookup warnings, < Postfix, > Postern)"
}

# auth_send USER PASS FROM: MAIL FROM and RCPT alice@local.test after
# AUTH PLAIN; "MAIL code text" and "RCPT code text"
auth_send() {
    $PY - "$PORT" "$@" <<'PY'
import smtplib, sys
port, user, pw, sender = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
s = smtplib.SMTP("127.0.0.1", port, timeout=20)
s.ehlo("client.example.net")
s.login(user, pw)
code, text = s.mail(sender)
print("MAIL %d %s" % (code, text.decode()))
code, text = s.rcpt("alice@local.test")
print("RCPT %d %s" % (code, text.decode()))
s.quit()
PY
}

case_mysql_sasl() {
    . "$(dirname "$0")/dovecot_lib.sh"
    mta_setup
    dovecot_start alice@example.test:secret bob@example.test:hunter2
    trap 'sql_stop_all; dovecot_stop; stop_pids; cleanup_instance' EXIT
    sql_my_start "$T/my" || exit 77
    sql_my <<'SQL' || fail "fixtures"
USE mail;
CREATE TABLE senders (sender VARCHAR(100), owner VARCHAR(100));
INSERT INTO senders VALUES ('alice@example.test', 'alice@example.test'),
  ('team@example.test', 'alice@example.test'),
  ('team@example.test', 'bob@example.test');
SQL
    printf 'hosts = unix:%s\nuser = root\ndbname = mail\nretry_interval = 1\nquery = SELECT owner FROM senders WHERE sender=%s\n' \
        "$MY_SOCK" "'%s'" > "$T/etc/senders.cf"
    cat >> "$T/etc/main.cf" <<CF
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = inet:127.0.0.1:$DOVECOT_AUTH_PORT
smtpd_sender_login_maps = mysql:$T/etc/senders.cf
smtpd_sender_restrictions = reject_sender_login_mismatch
CF
    if [ "$(id -u)" = 0 ]; then chown -R nobody "$T/etc"; fi
    mta_start
    auth_send bob@example.test hunter2 team@example.test > "$T/r1"
    grep -q '^RCPT 250 ' "$T/r1" || { cat "$T/r1"; fail "bob may send as team (two rows)"; }
    auth_send bob@example.test hunter2 alice@example.test > "$T/r2"
    grep -qE '^RCPT 553 5\.7\.1 <alice@example\.test>: Sender address rejected: not owned by user bob@example\.test' "$T/r2" ||
        { cat "$T/r2"; fail "bob may not send as alice"; }
    pass "smtpd_sender_login_maps from MariaDB: $(tail -1 "$T/r2")"
    sql_my_stop
    auth_send alice@example.test secret alice@example.test > "$T/r3"
    grep -qE '^RCPT 451 4\.3\.0 ' "$T/r3" || { cat "$T/r3"; tail -5 "$T/maillog"; fail "database down: 451 4.3.0"; }
    grep -qE "warning: (connect to mysql server|mysql query failed)" "$T/maillog" || { tail -8 "$T/maillog"; fail "warning: mysql query failed / connect to mysql server"; }
    pass "database down: $(tail -1 "$T/r3")"
    sql_my_start "$T/my" || fail "mariadb restart"
    # the failed host is left alone for retry_interval (1 s) after the
    # second it failed in
    for _ in $(seq 6); do
        sleep 1
        auth_send alice@example.test secret alice@example.test > "$T/r4"
        grep -q '^RCPT 250 ' "$T/r4" && break
    done
    grep -q '^RCPT 250 ' "$T/r4" || { cat "$T/r4"; fail "database back: accepted"; }
    pass "database back: accepted again"
}

case "$CASE" in
pgsql_down) case_pgsql_down ;;
mysql_sasl) case_mysql_sasl ;;
pgsql_agent) case_pgsql_agent ;;
pgsql_proxy) case_pgsql_proxy ;;
pgsql_postfix) case_pgsql_postfix ;;
*) fail "unknown case $CASE" ;;
esac
