#!/bin/bash
# mta_filter - after-queue content filters (issue 19): content_filter and
# the FILTER action of access tables, with a small real filter written
# for the test (testdata/mta_filter/filter.py: an SMTP server on loopback
# that adds "X-Test-Filter: passed" and reinjects the message over SMTP
# to Postern's second smtpd, the reinjection listener of FILTER_README
# with "-o content_filter=" and receive_override_options), and Postfix's
# smtp-sink as the final destination (relayhost). Checked: the message
# passes the filter exactly once (no loop), arrives modified at the
# sink, Postfix's log lines (relay= of the filter transport, the
# "filter:" line of smtpd); a filter that is down defers the mail, which
# is delivered once it is back. Exit 77 without smtp-sink.
#
# Case postfix (root): the same FILTER mail through a real Postfix 3.7
# set up alike (its own filter and sink); the smtpd "filter:" line and
# the delivery lines must agree (IDs, pids, ports and delays aside).
#
# Case override: receive_override_options on a second listener.
#
# usage: mta_filter.sh POSTERN CASE (content | access | down | override |
#        postfix)
set -u
BIN=$1
CASE=$2
. "$(dirname "$0")/mta_lib.sh"
. "$(dirname "$0")/mta_smtp_lib.sh"
. "$(dirname "$0")/postfix_peer.sh"

FILTER_PY=$HERE/../testdata/mta_filter/filter.py

# fsetup [main.cf lines]: the instance, the sink as relayhost, the filter
# transport and the reinjection listener as FILTER_README writes them
SP=$(free_port)
FP=$(free_port)
RP=$(free_port)
fsetup() {
    setup "relayhost = [127.0.0.1]:$SP" "$@"
    cat >> "$T/etc/master.cf" <<MC
smtp-amavis unix - - n - 2 smtp
    -o smtp_data_done_timeout=1200
    -o disable_dns_lookups=yes
127.0.0.1:$RP inet n - n - - smtpd
    -o content_filter=
    -o local_recipient_maps=
    -o relay_recipient_maps=
    -o smtpd_restriction_classes=
    -o smtpd_delay_reject=no
    -o smtpd_client_restrictions=permit_mynetworks,reject
    -o smtpd_helo_restrictions=
    -o smtpd_sender_restrictions=
    -o smtpd_recipient_restrictions=permit_mynetworks,reject
    -o smtpd_relay_restrictions=permit_mynetworks,reject
    -o smtpd_data_restrictions=reject_unauth_pipelining
    -o smtpd_end_of_data_restrictions=
    -o mynetworks=127.0.0.0/8
    -o smtpd_error_sleep_time=0
    -o smtpd_soft_error_limit=1001
    -o smtpd_hard_error_limit=1000
    -o receive_override_options=no_unknown_recipient_checks,no_header_body_checks,no_milters,no_address_mappings
MC
    if [ "$(id -u)" = 0 ]; then chown -R nobody "$T"; fi
}

# fcheck: postern check accepts the setup (nothing refused)
fcheck() {
    as_user "$BIN" check -c "$T/etc" > "$T/check.out" 2>&1 ||
        { cat "$T/check.out" >&2; fail "postern check refuses the filter setup"; }
}

filter_start() {
    $PY "$FILTER_PY" "$FP" "$RP" "$T/filter.log" 2>>"$T/filter.err" &
    PIDS+=($!)
    wait_port 127.0.0.1 "$FP"
}

# the sink's copies carry the header, once; count N
check_sink() {
    local n=$1 f
    wait_sink sink "$n" 15
    for f in $(find "$T/sink" -type f -name '*[0-9].*'); do
        [ "$(grep -c '^X-Test-Filter: passed' "$f")" = 1 ] ||
            { cat "$f" >&2; fail "the delivered copy carries the filter's header once"; }
    done
}

case_content() {
    fsetup "content_filter = smtp-amavis:[127.0.0.1]:$FP"
    sink sink "127.0.0.1:$SP"
    filter_start
    fcheck
    mta_start
    send a@example.org 1 x@example.net y@example.net >/dev/null || fail "send"
    check_sink 1
    # the filter transport's delivery, then the reinjected copy's
    wait_log "postfix/smtp\[[0-9]+\]: [0-9A-F]+: to=<x@example\.net>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:$FP, $LOGRE, dsn=2\.0\.0, status=sent \(250 2\.0\.0 Ok: queued as [0-9A-F]+\)$" 1 15
    wait_log "postfix/smtp\[[0-9]+\]: [0-9A-F]+: to=<y@example\.net>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:$SP, $LOGRE, dsn=2\.0\.0, status=sent" 1 15
    wait_log "client=unknown\[127\.0\.0\.1\]" 2
    sleep 1
    [ "$(wc -l < "$T/filter.log")" = 1 ] || { cat "$T/filter.log"; fail "the message passed the filter once"; }
    grep -q 'to=<x@example.net,y@example.net> reinjected=250 ' "$T/filter.log" ||
        { cat "$T/filter.log"; fail "both recipients in one filter delivery"; }
    [ "$(sink_count sink)" = 1 ] || fail "one copy at the sink (no loop)"
    [ "$(count_log 'relay=127\.0\.0\.1\[127\.0\.0\.1\]:'"$FP")" = 2 ] ||
        fail "two recipients through the filter, once each"
    pass "content_filter: filtered once, modified, delivered; Postfix's log lines"
    # a local submission: pickup reads content_filter too (as Postfix's)
    printf 'Subject: via sendmail\n\nlocal body\n' |
        as_user "$BIN" sendmail -C "$T/etc" -f local@local.test z@example.net ||
        fail "sendmail"
    check_sink 2
    wait_log "to=<z@example\.net>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:$FP, .*status=sent" 1 15
    [ "$(wc -l < "$T/filter.log")" = 2 ] || { cat "$T/filter.log"; fail "the local submission passed the filter once"; }
    pass "content_filter for sendmail/pickup submissions"
}

case_access() {
    fsetup 'smtpd_recipient_restrictions = check_recipient_access texthash:$config_directory/filt, permit_mynetworks, reject_unauth_destination'
    echo "scan@example.net FILTER smtp-amavis:[127.0.0.1]:$FP" > "$T/etc/filt"
    sink sink "127.0.0.1:$SP"
    filter_start
    fcheck
    mta_start
    send a@example.org 1 scan@example.net >/dev/null || fail "send (filtered)"
    send a@example.org 1 plain@example.net >/dev/null || fail "send (plain)"
    wait_sink sink 2 15
    wait_log "postfix/smtpd\[[0-9]+\]: NOQUEUE: filter: RCPT from unknown\[127\.0\.0\.1\]: <scan@example\.net>: Recipient address triggers FILTER smtp-amavis:\[127\.0\.0\.1\]:$FP; from=<a@example\.org> to=<scan@example\.net> proto=ESMTP helo=<client\.example\.org>$"
    [ "$(grep -l '^X-Test-Filter: passed' "$T"/sink/*[0-9].* | wc -l)" = 1 ] || fail "only the FILTER recipient's message filtered"
    [ "$(wc -l < "$T/filter.log")" = 1 ] && grep -q 'to=<scan@example.net>' "$T/filter.log" ||
        { cat "$T/filter.log"; fail "the filter saw the FILTER message only"; }
    [ "$(count_log 'to=<plain@example\.net>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:'"$SP")" = 1 ] ||
        fail "the other message went straight to the relayhost"
    pass "FILTER from an access table: that message filtered, the other not"
}

case_down() {
    fsetup "content_filter = smtp-amavis:[127.0.0.1]:$FP"
    sink sink "127.0.0.1:$SP"
    fcheck
    mta_start
    send a@example.org 1 x@example.net >/dev/null || fail "send"
    wait_log "postfix/smtp\[[0-9]+\]: [0-9A-F]+: to=<x@example\.net>, relay=none, $LOGRE, dsn=4\.4\.1, status=deferred \(connect to 127\.0\.0\.1\[127\.0\.0\.1\]:$FP: Connection refused\)$" 1 15
    sleep 0.5
    [ "$(sink_count sink)" = 0 ] || fail "nothing delivered around the filter"
    pass "filter down: deferred (connection refused)"
    filter_start
    as_user "$BIN" queue -c "$T/etc" flush || fail "queue flush"
    check_sink 1
    wait_log "to=<x@example\.net>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:$SP, .*status=sent" 1 15
    [ "$(wc -l < "$T/filter.log")" = 1 ] || fail "filtered once after the retry"
    pass "filter back: filtered and delivered after the forced retry"
}

# rcpt PORT RCPT: the reply to RCPT TO (one message, no DATA)
rcpt() {
    $PY - "$1" "$2" <<'PY'
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10)
s.ehlo("client.example.org")
s.mail("a@example.org")
code, text = s.rcpt(sys.argv[2])
print(code, text.decode())
s.quit()
PY
}

# receive_override_options on the reinjection listener: no virtual
# alias expansion there (no_address_mappings), no unknown-recipient
# check (no_unknown_recipient_checks); the main listener does both
case_override() {
    fsetup "virtual_alias_domains = alias.test" 'virtual_alias_maps = texthash:$config_directory/valias'
    echo "info@alias.test x@example.net" > "$T/etc/valias"
    sink sink "127.0.0.1:$SP"
    fcheck
    mta_start
    case "$(rcpt "$PORT" nosuch@alias.test)" in
    550*) ;; *) fail "unknown recipient refused by the main listener" ;; esac
    case "$(rcpt "$RP" nosuch@alias.test)" in
    250*) ;; *) fail "no_unknown_recipient_checks: accepted by the reinjection listener" ;; esac
    pass "no_unknown_recipient_checks"
    send a@example.org 1 info@alias.test >/dev/null || fail "send (main)"
    wait_log "to=<x@example\.net>, orig_to=<info@alias\.test>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:$SP, .*status=sent" 1 15
    PORT=$RP send a@example.org 1 info@alias.test >/dev/null || fail "send (reinjection)"
    wait_log "to=<info@alias\.test>, relay=none, .*status=bounced \(User unknown in virtual alias table\)" 1 15
    [ "$(count_log 'to=<x@example\.net>')" = 1 ] || fail "the reinjected copy is not expanded"
    pass "no_address_mappings: no virtual alias expansion on the reinjection listener"
}

# flines LOG: the lines compared with Postfix's, normalized
flines() {
    grep -E 'filter: RCPT|status=' "$1" |
        sed -E -e 's/^.* (postfix\/[a-z]+)\[[0-9]+\]: /\1: /' \
            -e 's/\b[0-9A-F]{10,}\b/ID/g' -e 's/:[0-9]{4,5}\b/:PORT/g' \
            -e 's/delay=[0-9.]+, delays=[0-9.]+\/[0-9.]+\/[0-9.]+\/[0-9.]+/DELAYS/' \
            -e 's/ \(250 2\.0\.0 Ok: queued as ID\)$//' -e 's/ \(250 2\.0\.0 Ok\)$//' \
            -e 's/ \(250 2\.0\.0 Ok: queued as [^)]*\)$//'
}

PFD=
case_postfix() {
    local why PFPORT PFSP PFFP PFRP
    why=$(pf_need)
    [ -z "$why" ] || { echo "skip: $why"; exit 77; }
    case_access
    PFD=$(mktemp -d /tmp/mta-filter-postfix.XXXXXX)
    chmod 755 "$PFD"
    trap 'stop_mine; pf_stop "$PFD"; [ -n "${KEEP:-}" ] || rm -rf "$PFD"; cleanup_instance' EXIT
    PFPORT=$(free_port); PFSP=$(free_port); PFFP=$(free_port); PFRP=$(free_port)
    mkdir -p "$PFD/etc" "$PFD/sink"
    chmod 777 "$PFD/sink"
    { pf_main_cf "$PFD"; cat <<CF
myhostname = mx.example.test
mydestination = local.test
mynetworks = 127.0.0.1/32
relayhost = [127.0.0.1]:$PFSP
smtpd_peername_lookup = no
smtpd_recipient_restrictions = check_recipient_access texthash:$PFD/etc/filt, permit_mynetworks, reject_unauth_destination
CF
    } > "$PFD/etc/main.cf"
    echo "scan@example.net FILTER smtp-amavis:[127.0.0.1]:$PFFP" > "$PFD/etc/filt"
    pf_master_cf "127.0.0.1:$PFPORT inet n - n - - smtpd" > "$PFD/etc/master.cf"
    sed -n '/^smtp-amavis/,$p' "$T/etc/master.cf" | sed "s/^127\.0\.0\.1:$RP /127.0.0.1:$PFRP /" >> "$PFD/etc/master.cf"
    "$SINK" -u nobody -d "$PFD/sink/%M." "127.0.0.1:$PFSP" 256 2>/dev/null &
    PIDS+=($!)
    $PY "$FILTER_PY" "$PFFP" "$PFRP" "$PFD/filter.log" 2>>"$PFD/filter.err" &
    PIDS+=($!)
    wait_port 127.0.0.1 "$PFFP"
    pf_start "$PFD" "$PFPORT" || fail "Postfix peer"
    PORT=$PFPORT send a@example.org 1 scan@example.net >/dev/null || fail "send to Postfix"
    PORT=$PFPORT send a@example.org 1 plain@example.net >/dev/null || fail "send to Postfix"
    for _ in $(seq 150); do
        [ "$(grep -c 'status=sent' "$PFD/maillog")" -ge 3 ] && break
        sleep 0.1
    done
    flines "$T/maillog" > "$T/postern.lines"
    flines "$PFD/maillog" > "$T/postfix.lines"
    diff "$T/postfix.lines" "$T/postern.lines" ||
        fail "filter log lines differ from Postfix's (< Postfix, > Postern)"
    [ "$(wc -l < "$T/postern.lines")" = 4 ] || { cat "$T/postern.lines"; fail "4 lines compared"; }
    pass "the FILTER line and the delivery lines as Postfix's"
}

case "$CASE" in
postfix) case_postfix ;;
override) case_override ;;
content) case_content ;;
access) case_access ;;
down) case_down ;;
*) fail "unknown case $CASE" ;;
esac
