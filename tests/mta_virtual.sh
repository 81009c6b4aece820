#!/bin/bash
# mta_virtual - end-to-end tests of virtual hosting (issue 18): virtual
# alias expansion in cleanup (aliases, catch-alls, one-to-many, into
# local and virtual mailboxes, through SMTP and through sendmail/pickup),
# unknown users refused at RCPT, and the virtual delivery agent (Maildir
# and mbox under virtual_mailbox_base, content checked; as root with the
# uid of virtual_uid_maps; exactly once after SIGKILL).
#
# usage: mta_virtual.sh POSTERN CASE
set -u
BIN=$1
CASE=$2
. "$(dirname "$0")/mta_lib.sh"
. "$(dirname "$0")/postfix_peer.sh"

# vsetup [extra main.cf lines]: mta_setup plus the virtual domains
vsetup() {
    mta_setup "$@"
    cat >> "$T/etc/main.cf" <<CF
recipient_delimiter = +
virtual_alias_domains = alias.test, catch.test, rename.test
virtual_alias_maps = texthash:$T/etc/valias
virtual_mailbox_domains = vhost.test
virtual_mailbox_maps = texthash:$T/etc/vmailbox
virtual_mailbox_base = $T/vmail
virtual_uid_maps = static:$V_UID
virtual_gid_maps = static:$V_GID
CF
    cat > "$T/etc/valias" <<AL
info@alias.test    ann@vhost.test
team@alias.test    ann@vhost.test, ben@vhost.test, alice
@catch.test        ben@vhost.test
fwd@vhost.test     alice@local.test
@rename.test       @vhost.test
pair@alias.test    ann@vhost.test ben@vhost.test
AL
    cat > "$T/etc/vmailbox" <<VM
ann@vhost.test     vhost.test/ann/
ben@vhost.test     vhost.test/ben.mbox
low@vhost.test     vhost.test/low/
VM
    echo "virtual   unix  -       n       n      -      -       virtual" >> "$T/etc/master.cf"
    mkdir -p "$T/vmail"
    if [ "$(id -u)" = 0 ]; then chown -R nobody "$T"; fi
}
V_UID=$(id -u nobody 2>/dev/null || id -u)
V_GID=$(id -g nobody 2>/dev/null || id -g)
[ "$(id -u)" = 0 ] || { V_UID=$(id -u); V_GID=$(id -g); }

# send FROM RCPT... with a subject and a body line naming the test; the
# replies to each RCPT on stdout ("RCPT addr code text")
send() {
    $PY - "$PORT" "$@" <<'PY'
import os, smtplib, sys
port, sender, rcpts = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
s = smtplib.SMTP("127.0.0.1", port, timeout=10)
s.ehlo("client.example.net")
s.mail(sender)
ok = []
for r in rcpts:
    code, text = s.rcpt(r)
    print("RCPT %s %d %s" % (r, code, text.decode()))
    if code == 250:
        ok.append(r)
if ok:
    pad = "".join("padding line %04d %s\r\n" % (i, "x" * 50)
                  for i in range(int(os.environ.get("PAD_LINES", "0"))))
    code, text = s.data("From: %s\r\nSubject: virtual %s\r\n\r\nbody for %s\r\n%s"
                        % (sender, " ".join(ok), " ".join(ok), pad))
    print("DATA %d %s" % (code, text.decode()))
s.quit()
PY
}

case_expand() {
    vsetup
    mta_start
    send a@example.com info@alias.test team@alias.test x@catch.test \
        fwd@vhost.test ann+tag@vhost.test > "$T/replies" || fail "smtp client"
    grep -q '^DATA 250 ' "$T/replies" || { cat "$T/replies"; fail "message accepted"; }
    # info -> ann; team -> ann, ben, alice; x@catch -> ben; fwd -> alice;
    # ann+tag -> ann. Duplicates of one original stay, as in Postfix.
    wait_log 'status=sent' 7
    grep -qE 'postfix/virtual\[[0-9]+\]: [0-9A-F]+: to=<ann@vhost\.test>, orig_to=<info@alias\.test>, relay=virtual, delay=[0-9.]+, delays=[0-9.]+/[0-9.]+/[0-9.]+/[0-9.]+, dsn=2\.0\.0, status=sent \(delivered to maildir\)$' "$T/maillog" ||
        fail "virtual maildir delivery line with orig_to"
    grep -qE 'postfix/virtual\[[0-9]+\]: [0-9A-F]+: to=<ben@vhost\.test>, orig_to=<x@catch\.test>, relay=virtual, .*status=sent \(delivered to mailbox\)$' "$T/maillog" ||
        fail "catch-all into the mbox"
    grep -qE 'postfix/local\[[0-9]+\]: [0-9A-F]+: to=<alice@local\.test>, orig_to=<team@alias\.test>, relay=local, .*status=sent' "$T/maillog" ||
        fail "one-to-many includes a local user (bare user gets myorigin)"
    grep -qE 'to=<alice@local\.test>, orig_to=<fwd@vhost\.test>, relay=local' "$T/maillog" ||
        fail "an alias in a virtual mailbox domain"
    grep -qE 'postfix/virtual\[[0-9]+\]: [0-9A-F]+: to=<ann\+tag@vhost\.test>, relay=virtual, .*status=sent \(delivered to maildir\)$' "$T/maillog" ||
        fail "address extension: ann+tag finds ann's mailbox"
    pass "alias, catch-all and one-to-many expansion; Postfix's delivery lines"
    n=$(ls "$T/vmail/vhost.test/ann/new" | wc -l)
    [ "$n" = 3 ] || fail "ann's Maildir holds $n messages (want 3: info, team, ann+tag)"
    f=$(grep -l '^X-Original-To: info@alias.test$' "$T"/vmail/vhost.test/ann/new/*) ||
        fail "X-Original-To: info@alias.test in ann's Maildir"
    head -3 "$f" | tr '\n' '|' | grep -q '^Return-Path: <a@example.com>|X-Original-To: info@alias.test|Delivered-To: ann@vhost.test|$' ||
        { head -5 "$f"; fail "Maildir file starts with Return-Path, X-Original-To, Delivered-To"; }
    grep -q '^body for info@alias.test team@alias.test x@catch.test' "$f" || fail "Maildir body"
    [ "$(stat -c '%a' "$f")" = 600 ] || fail "Maildir file mode 0600"
    grep -c '^From a@example.com ' "$T/vmail/vhost.test/ben.mbox" | grep -qx 2 ||
        fail "ben's mbox holds 2 messages (team, x@catch)"
    grep -q '^Delivered-To: ben@vhost.test$' "$T/vmail/vhost.test/ben.mbox" || fail "mbox Delivered-To"
    grep -q '^Subject: virtual info@alias.test' "$T/vmail/vhost.test/ben.mbox" || fail "mbox content"
    pass "Maildir and mbox under virtual_mailbox_base, content and headers checked"

    # unknown users: 550 at RCPT, nothing queued for them
    send a@example.com nosuch@alias.test nosuch@vhost.test ann@vhost.test > "$T/replies2"
    grep -q '^RCPT nosuch@alias.test 550 5.1.1 <nosuch@alias.test>: Recipient address rejected: User unknown in virtual alias table$' "$T/replies2" ||
        { cat "$T/replies2"; fail "unknown user in a virtual alias domain: 550"; }
    grep -q '^RCPT nosuch@vhost.test 550 5.1.1 <nosuch@vhost.test>: Recipient address rejected: User unknown in virtual mailbox table$' "$T/replies2" ||
        { cat "$T/replies2"; fail "unknown user in a virtual mailbox domain: 550"; }
    grep -q '^DATA 250 ' "$T/replies2" || fail "the known recipient still gets the mail"
    pass "unknown virtual users refused at RCPT with Postfix's replies"

    # local submission (sendmail -> postdrop -> pickup -> cleanup)
    printf 'Subject: via sendmail\n\nlocal body\n' |
        as_user "$BIN" sendmail -C "$T/etc" -f local@local.test info@alias.test ||
        fail "sendmail"
    wait_log 'to=<ann@vhost\.test>, orig_to=<info@alias\.test>, relay=virtual' 2
    grep -l '^Subject: via sendmail$' "$T"/vmail/vhost.test/ann/new/* >/dev/null ||
        fail "local submission expanded and delivered"
    pass "local submission (pickup) goes through the same expansion"
}

case_limits() {
    # a loop: nothing delivered, the client told to try again later
    vsetup "virtual_alias_recursion_limit = 5"
    cat >> "$T/etc/valias" <<AL
loop1@alias.test   loop2@alias.test
loop2@alias.test   loop1@alias.test
AL
    mta_start
    send a@example.com loop1@alias.test > "$T/replies"
    grep -q '^DATA 451 4.6.0 Alias expansion error$' "$T/replies" ||
        { cat "$T/replies"; fail "alias loop: 451 4.6.0 Alias expansion error"; }
    grep -qE 'postfix/cleanup\[[0-9]+\]: warning: [0-9A-F]+: unreasonable virtual_alias_maps map nesting for loop1@alias\.test -- message not accepted, try again later$' "$T/maillog" ||
        fail "cleanup's warning"
    pass "recursion limit: 451 4.6.0 and Postfix's warning"
    # uid below virtual_minimum_uid: deferred, not delivered
    sed -i 's/^virtual_minimum_uid.*//' "$T/etc/main.cf"
    echo "virtual_minimum_uid = $((V_UID + 1))" >> "$T/etc/main.cf"
    as_user "$BIN" reload -c "$T/etc" >/dev/null 2>&1
    sleep 1
    send a@example.com low@vhost.test > "$T/replies3"
    wait_log "to=<low@vhost\.test>, relay=virtual, .*dsn=4\.3\.5, status=deferred \(mail system configuration error\)"
    grep -qE "postfix/virtual\[[0-9]+\]: warning: recipient low@vhost\.test: bad uid $V_UID in virtual_uid_maps$" "$T/maillog" ||
        fail "the reason as Postfix's warning"
    [ ! -d "$T/vmail/vhost.test/low" ] || fail "nothing written for a refused uid"
    pass "uid below virtual_minimum_uid: deferred (4.3.5), the reason as a warning"
}

case_root() {
    # master as root: the virtual agent keeps root (unpriv n) and writes
    # each mailbox as the uid/gid of virtual_uid_maps/virtual_gid_maps
    if [ "$(id -u)" != 0 ]; then echo "skipped: needs root"; exit 77; fi
    V_UID=4711 V_GID=4712
    vsetup "mail_owner = nobody" "default_privs = nobody"
    chown root "$T/etc" "$T/etc/main.cf" "$T/etc/master.cf"
    chown 4711:4712 "$T/vmail"
    "$BIN" start -c "$T/etc" 2> "$T/start.err" || { cat "$T/start.err"; fail "start as root"; }
    MASTER_PID=$(tr -d ' ' < "$T/queue/pid/master.pid")
    send a@example.com info@alias.test x@catch.test > "$T/replies"
    wait_log 'relay=virtual, .*status=sent' 2
    pid=$(pgrep -s "$MASTER_PID" -x virtual | head -1)
    [ -n "$pid" ] && [ "$(ps -o user= -p "$pid")" = root ] || fail "virtual runs as root"
    f=$(ls "$T"/vmail/vhost.test/ann/new/* | head -1)
    [ "$(stat -c %u:%g "$f")" = 4711:4712 ] || fail "Maildir file owned by $(stat -c %u:%g "$f"), want 4711:4712"
    [ "$(stat -c %u:%g "$T/vmail/vhost.test/ann/tmp")" = 4711:4712 ] || fail "Maildir made as the user"
    [ "$(stat -c %u:%g "$T/vmail/vhost.test/ben.mbox")" = 4711:4712 ] || fail "mbox owned by the user"
    pass "Maildir and mbox written as virtual_uid_maps/virtual_gid_maps (4711:4712)"
    # a symlink planted as the mbox is not followed
    rm -f "$T/vmail/vhost.test/ben.mbox"
    ln -s /etc/passwd-virtual-target "$T/vmail/vhost.test/ben.mbox"
    send a@example.com x@catch.test > /dev/null
    wait_log 'to=<ben@vhost\.test>, orig_to=<x@catch\.test>, relay=virtual, .*status=deferred \(delivery failed to mailbox .*/ben\.mbox: cannot open file: ' 1
    [ ! -e /etc/passwd-virtual-target ] || { rm -f /etc/passwd-virtual-target; fail "followed a symlink"; }
    pass "a symlink in place of the mbox is refused, not followed"
}

case_crash() {
    # exactly once into a virtual Maildir across SIGKILL of everything
    vsetup
    mta_start
    LOAD_RCPT=info@alias.test N=${N:-20000} S=${S:-12} py smtpc.py load "$T" "$PORT" \
        > "$T/accepted" 2> "$T/load.err" &
    LOAD=$!
    for _ in $(seq 300); do
        [ "$(grep -c . "$T/accepted" 2>/dev/null)" -ge "${KILL_AT:-1500}" ] && break
        sleep 0.05
    done
    kill -STOP -- "-$MASTER_PID" 2>/dev/null
    kill -KILL -- "-$MASTER_PID"
    wait "$LOAD"
    acc=$(grep -c . "$T/accepted")
    [ "$acc" -gt 100 ] || { cat "$T/load.err"; fail "only $acc messages accepted before the kill"; }
    [ "$acc" -lt "${N:-20000}" ] || fail "the load ended before the kill: raise N"
    pass "$acc messages acknowledged before SIGKILL"
    sleep 0.3
    mta_start
    for _ in $(seq 300); do
        as_user "$BIN" queue -c "$T/etc" list | grep -q 'Mail queue is empty' && break
        sleep 0.1
    done
    as_user "$BIN" queue -c "$T/etc" list | grep -q 'Mail queue is empty' || fail "queue did not drain"
    grep -h '^Message-ID: ' "$T"/vmail/vhost.test/ann/new/* | sort > "$T/delivered.mid"
    grep -ho 'with ESMTP id [0-9A-F]*' "$T"/vmail/vhost.test/ann/new/* | awk '{print $4}' |
        sort > "$T/delivered.id"
    lost=$(comm -23 <(sort -u "$T/accepted") <(sort -u "$T/delivered.id") | wc -l)
    dups=$(( $(wc -l < "$T/delivered.mid") - $(sort -u "$T/delivered.mid" | wc -l) ))
    echo "crash: accepted=$acc delivered=$(wc -l < "$T/delivered.id") lost=$lost duplicates=$dups repeated=$(count_log 'repeated delivery')"
    [ "$lost" = 0 ] || fail "$lost acknowledged messages lost"
    [ "$dups" = 0 ] || fail "$dups duplicate deliveries"
    pass "every acknowledged message in the virtual Maildir exactly once after SIGKILL"
}

# pf_virtual DIR PORT [main.cf lines]: a real Postfix 3.7
# (tests/postfix_peer.sh) configured as vsetup (the same tables, domains
# and limits), its virtual(8) writing under DIR/vmail; mail for anything
# else is thrown away by the error transport
pf_virtual() {
    local d=$1 port=$2
    shift 2
    mkdir -p "$d/etc" "$d/vmail"
    chown nobody:nogroup "$d/vmail"
    cp "$T/etc/valias" "$T/etc/vmailbox" "$T/etc/vuid" "$d/etc/"
    {
        pf_main_cf "$d"
        pf_local_cf
        cat <<CF
recipient_delimiter = +
virtual_alias_domains = alias.test, catch.test, rename.test
virtual_alias_maps = texthash:$d/etc/valias
virtual_mailbox_domains = vhost.test
virtual_mailbox_maps = texthash:$d/etc/vmailbox
virtual_mailbox_base = $d/vmail
virtual_uid_maps = texthash:$d/etc/vuid
virtual_gid_maps = static:$V_GID
CF
        printf '%s\n' "$@"
    } > "$d/etc/main.cf"
    pf_master_cf "127.0.0.1:$port inet n  -       n      -      -       smtpd" \
        > "$d/etc/master.cf"
    pf_start "$d" "$port" || fail "Postfix peer"
}

pf_virtual_stop() {
    pf_stop "$1"
    if [ -n "${KEEP:-}" ]; then echo "kept $1"; else rm -rf "$1"; fi
}

# vlines LOG: the virtual agent's delivery lines, without time, pid,
# queue ID and delays, sorted
vlines() {
    grep -E 'postfix/virtual\[[0-9]+\]: [0-9A-F]+: to=' "$1" |
        sed -E 's/^.*postfix\/virtual\[[0-9]+\]: [0-9A-F]+: //; s/, delay=[0-9.]+, delays=[0-9./]+//' |
        sort
}

# both_start [main.cf lines]: Postern (vsetup) and Postfix (pf_virtual)
# configured alike, plus the settings given; $PORT and $PFPORT
both_start() {
    local why
    why=$(pf_need)
    [ -z "$why" ] || { echo "skip: $why"; exit 77; }
    vsetup "smtpd_reject_unlisted_recipient = no" "$@"
    printf 'loop1@alias.test loop2@alias.test\nloop2@alias.test loop1@alias.test\n' >> "$T/etc/valias"
    printf '@vhost.test %s\nlow@vhost.test 5\n' "$V_UID" > "$T/etc/vuid"
    sed -i "s#^virtual_uid_maps = .*#virtual_uid_maps = texthash:$T/etc/vuid#" "$T/etc/main.cf"
    [ "$(id -u)" = 0 ] && chown nobody "$T/etc/vuid"
    mta_start
    PFD=$(mktemp -d /tmp/mta-virtual-postfix.XXXXXX)
    chmod 755 "$PFD"
    trap 'pf_virtual_stop "$PFD"; cleanup_instance' EXIT
    PFPORT=$(free_port)
    pf_virtual "$PFD" "$PFPORT" "$@"
}

case_postfix() {
    # the same mail through a real Postfix 3.7 and through Postern: the
    # virtual agent's log lines and what lands in the mailboxes must agree
    both_start
    for p in "$PORT" "$PFPORT"; do
        PORT=$p send a@example.com info@alias.test x@catch.test \
            ann+tag@vhost.test nosuch@vhost.test low@vhost.test \
            info+ext@alias.test ann+y@rename.test pair+z@alias.test > "$T/replies.$p"
        grep -q '^DATA 250 ' "$T/replies.$p" || { cat "$T/replies.$p"; fail "accepted on $p"; }
    done
    wait_log 'postfix/virtual.*status=(sent|deferred|bounced)' 9
    for _ in $(seq 100); do
        [ "$(grep -cE 'postfix/virtual.*status=' "$PFD/maillog")" -ge 9 ] && break
        sleep 0.1
    done
    vlines "$T/maillog" > "$T/postern.lines"
    vlines "$PFD/maillog" > "$T/postfix.lines"
    diff "$T/postfix.lines" "$T/postern.lines" ||
        fail "virtual agent lines differ from Postfix's (< Postfix, > Postern)"
    [ "$(wc -l < "$T/postern.lines")" = 9 ] || fail "9 virtual lines"
    pass "virtual(8) log lines as Postfix's: $(cut -d'(' -f2 "$T/postern.lines" | tr '\n' ' ')"
    for who in postern postfix; do
        base=$T/vmail; [ $who = postfix ] && base=$PFD/vmail
        for f in "$base"/vhost.test/ann/new/*; do
            sed -n '1,3p' "$f" | tr '\n' '|'; echo
        done | sort > "$T/heads.$who"
        # one line per mbox message (the order of one message's recipients
        # is not compared: Postfix's qmgr sorts them)
        grep -E '^(From |Return-Path:|X-Original-To:|Delivered-To:)' "$base/vhost.test/ben.mbox" |
            sed -E 's/^(From [^ ]+ ).*/\1DATE/' |
            awk '/^From /{if (m) print m; m=$0; next} {m=m "|" $0} END{if (m) print m}' |
            sort >> "$T/heads.$who"
    done
    diff "$T/heads.postfix" "$T/heads.postern" ||
        fail "Maildir and mbox headers differ from Postfix's (< Postfix, > Postern)"
    pass "Maildir and mbox files begin as Postfix's (Return-Path, X-Original-To, Delivered-To, From_)"
    # an alias loop: the same reply to DATA and the same warning
    for p in "$PORT" "$PFPORT"; do
        PORT=$p send a@example.com loop1@alias.test | grep '^DATA' > "$T/loop.$p"
    done
    diff "$T/loop.$PFPORT" "$T/loop.$PORT" || fail "alias loop: DATA reply differs (< Postfix, > Postern)"
    for _ in $(seq 50); do grep -q 'map nesting' "$PFD/maillog" && break; sleep 0.1; done
    w() { grep -hoE 'postfix/cleanup\[[0-9]+\]: warning: [0-9A-F]+: .*' "$1" | sed -E 's/^[^ ]+ warning: [0-9A-F]+: //'; }
    [ -n "$(w "$PFD/maillog")" ] && [ "$(w "$PFD/maillog")" = "$(w "$T/maillog")" ] ||
        fail "cleanup's warning differs: Postfix '$(w "$PFD/maillog")', Postern '$(w "$T/maillog")'"
    pass "alias loop: $(cat "$T/loop.$PORT"), cleanup's warning as Postfix's"
}

case_postfix_limit() {
    # virtual_mailbox_limit: the mbox and a Maildir file may not grow past it
    both_start "virtual_mailbox_limit = 3000" "message_size_limit = 2500"
    for p in "$PORT" "$PFPORT"; do
        for i in 1 2 3; do
            # ann first: her Maildir makes vhost.test/ for ben's mbox
            PORT=$p PAD_LINES=15 send a@example.com ann@vhost.test ben@vhost.test > /dev/null
        done
    done
    wait_log 'postfix/virtual.*status=' 6
    for _ in $(seq 100); do
        [ "$(grep -cE 'postfix/virtual.*status=' "$PFD/maillog")" -ge 6 ] && break
        sleep 0.1
    done
    sleep 0.5
    vlines "$T/maillog" | sed -E "s#$T/vmail#BASE#" > "$T/postern.lines"
    vlines "$PFD/maillog" | sed -E "s#$PFD/vmail#BASE#" > "$T/postfix.lines"
    diff "$T/postfix.lines" "$T/postern.lines" ||
        fail "virtual_mailbox_limit: lines differ from Postfix's (< Postfix, > Postern)"
    pass "virtual_mailbox_limit as Postfix: $(sort -u "$T/postern.lines" | cut -d'(' -f2 | tr '\n' ' ')"
}

case_relay() {
    # relay_domains with relay_recipient_maps: known recipients go out
    # through the relay transport (smtp) to the domain's server, here an
    # smtp-sink; unknown ones are refused at RCPT; an alias may point
    # into the relay domain
    local sinkbin
    sinkbin=$(command -v smtp-sink || echo /usr/sbin/smtp-sink)
    [ -x "$sinkbin" ] || { echo "skip: smtp-sink (Debian package postfix) not installed"; exit 77; }
    SINKPORT=$(free_port)
    vsetup "relay_domains = relay.test" \
        "relay_recipient_maps = texthash:\$config_directory/relayrcpt" \
        "relay_transport = relay:[127.0.0.1]:$SINKPORT"
    echo "known@relay.test x" > "$T/etc/relayrcpt"
    echo "out@alias.test known@relay.test" >> "$T/etc/valias"
    echo "relay     unix  -       -       n      -      -       smtp" >> "$T/etc/master.cf"
    [ "$(id -u)" = 0 ] && chown nobody "$T/etc/relayrcpt"
    mkdir -p "$T/sink" && chmod 777 "$T/sink"
    local u=()
    [ "$(id -u)" = 0 ] && u=(-u nobody)
    "$sinkbin" "${u[@]}" -d "$T/sink/%M." "127.0.0.1:$SINKPORT" 16 2>>"$T/sink.err" &
    PIDS+=($!)
    trap 'stop_pids; cleanup_instance' EXIT
    mta_start
    send a@example.com known@relay.test nosuch@relay.test out@alias.test > "$T/replies"
    grep -q '^RCPT nosuch@relay.test 550 5.1.1 <nosuch@relay.test>: Recipient address rejected: User unknown in relay recipient table$' "$T/replies" ||
        { cat "$T/replies"; fail "unknown relay recipient: 550 at RCPT"; }
    grep -q '^DATA 250 ' "$T/replies" || { cat "$T/replies"; fail "accepted"; }
    wait_log "postfix/smtp\[[0-9]+\]: [0-9A-F]+: to=<known@relay\.test>, orig_to=<out@alias\.test>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:$SINKPORT, .*status=sent" 1 20
    wait_log "postfix/smtp\[[0-9]+\]: [0-9A-F]+: to=<known@relay\.test>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:$SINKPORT, .*status=sent" 1 20
    grep -l '^Subject: virtual known@relay.test out@alias.test' "$T"/sink/* >/dev/null 2>&1 ||
        fail "the message reached the relay domain's server"
    pass "relay_domains through the relay transport; relay_recipient_maps at RCPT; an alias into the relay domain"
}

"case_$CASE"
