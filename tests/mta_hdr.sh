#!/bin/bash
# mta_hdr - header_checks, mime_header_checks, nested_header_checks and
# body_checks end to end (issue 19): real messages through smtpd and
# cleanup with python's smtplib; the replies to DATA, the delivered
# message's headers (PREPEND, REPLACE, IGNORE), REDIRECT, DISCARD and
# cleanup's log lines. Case "postfix" (root) sends the same messages to a
# real Postfix 3.7 with the same tables and compares replies and log
# lines.
#
# usage: mta_hdr.sh POSTERN CASE [TYPE]   (TYPE regexp, the default, or pcre)
set -u
BIN=$1
CASE=$2
TYPE=${3:-regexp}
. "$(dirname "$0")/mta_lib.sh"
. "$(dirname "$0")/postfix_peer.sh"
HD=$HERE/../testdata/hdr

# checks_cf DIR [TYPE]: the main.cf lines of the checks, tables under DIR
checks_cf() {
    local t=${2:-$TYPE}
    printf '%s\n' "header_checks = $t:$1/header_checks" \
        "body_checks = $t:$1/body_checks" \
        "mime_header_checks = $t:$1/mime_header_checks" \
        "nested_header_checks = $t:$1/nested_header_checks"
}

# send NAME: message NAME of the messages below to alice@local.test;
# prints "DATA code text"
send() {
    $PY - "$PORT" "$1" <<'PY'
import smtplib, sys
port, name = int(sys.argv[1]), sys.argv[2]
plain = "From: a@example.com\r\nTo: alice@local.test\r\nSubject: %s\r\n"
msgs = {
    "reject": plain % "hdr-reject" + "\r\nbody\r\n",
    "text": plain % "hdr-text" + "\r\nbody\r\n",
    "defer": plain % "hdr-defer" + "\r\nbody\r\n",
    "discard": plain % "hdr-discard" + "\r\nbody\r\n",
    "hold": plain % "hdr-hold" + "\r\nbody\r\n",
    "warn": plain % "hdr-warn" + "\r\nbody\r\n",
    "info": plain % "hdr-info" + "\r\nbody\r\n",
    "fold": "From: a@example.com\r\nSubject: one\r\n two hdr-fold\r\n\r\nbody\r\n",
    "edit": plain % "hdr-prepend" + "X-Drop: secret\r\nX-Old: kept value\r\n"
            "\r\nline one\r\nbody-drop-line here\r\nbody-warn careful\r\nlast\r\n",
    "body": plain % "plain" + "\r\nfirst\r\nbody-reject-line\r\n",
    "odd": plain % "odd" + "Weird: 1\r\n\r\nbody\r\n",
    "redirect": plain % "hdr-redirect" + "\r\nbody\r\n",
    "mime": plain % "attach" + "MIME-Version: 1.0\r\n"
            "Content-Type: multipart/mixed; boundary=\"BB\"\r\n\r\n"
            "preamble\r\n--BB\r\nContent-Type: text/plain\r\n\r\nhello\r\n"
            "--BB\r\nContent-Type: application/octet-stream\r\n"
            "Content-Disposition: attachment; filename=\"evil.exe\"\r\n\r\n"
            "AAAA\r\n--BB--\r\n",
    "nested": plain % "fwd" + "MIME-Version: 1.0\r\n"
            "Content-Type: multipart/mixed; boundary=\"BB\"\r\n\r\n"
            "--BB\r\nContent-Type: message/rfc822\r\n\r\n"
            "From: b@example.com\r\nSubject: nested-bad\r\n\r\ninner\r\n--BB--\r\n",
    "clean": plain % "hdr-clean" + "\r\nbody\r\n",
}
s = smtplib.SMTP("127.0.0.1", port, timeout=10)
s.ehlo("client.example.net")
s.mail("a@example.com")
s.rcpt("alice@local.test")
code, text = s.docmd("DATA")
assert code == 354, (code, text)
s.send(msgs[name].replace("\r\n.", "\r\n..").encode() + b".\r\n")
code, text = s.getreply()
print("DATA %d %s" % (code, text.decode().replace("queued as ", "queued as ").split(" queued as ")[0]))
s.quit()
PY
}

NAMES="reject text defer discard hold warn info fold edit body odd redirect mime nested clean"

# clines LOG: cleanup's check lines without time, process and queue ID
clines() {
    grep -hE 'cleanup\[[0-9]+\]: [0-9A-Za-z]+: (reject|warning|info|discard|hold|redirect|prepend|replace|bcc|strip):' "$1" |
        sed -E 's/^.*cleanup\[[0-9]+\]: [0-9A-Za-z]+: //'
}

hdr_setup() {
    mta_setup "$@"
    mkdir -p "$T/etc/hdr"
    cp "$HD"/* "$T/etc/hdr/"
    checks_cf "$T/etc/hdr" >> "$T/etc/main.cf"
    [ "$(id -u)" = 0 ] && chown -R nobody "$T/etc/hdr"
}

case_basic() {
    hdr_setup
    mta_start
    for n in $NAMES; do
        echo "$n $(send "$n")"
    done > "$T/replies"
    expect() {
        grep -qxF "$1 $2" "$T/replies" || { cat "$T/replies"; fail "$1: want '$2'"; }
    }
    expect reject "DATA 550 5.7.1 message content rejected"
    expect text "DATA 550 5.7.0 go away"
    expect defer "DATA 451 4.7.1 later please"
    expect fold "DATA 550 5.7.1 folded"
    expect body "DATA 550 5.7.1 body bad"
    expect mime "DATA 550 5.7.1 attachment refused"
    expect nested "DATA 550 5.7.1 nested refused"
    for n in discard hold warn info edit odd redirect clean; do
        grep -qE "^$n DATA 250 2.0.0 Ok" "$T/replies" || { cat "$T/replies"; fail "$n accepted"; }
    done
    pass "replies to DATA: reject, text, 4.x.x, folded header, body, MIME part, nested message"
    wait_log 'status=sent' 6
    sleep 0.5
    subj=$(grep -h '^Subject:' "$T"/mail/alice/new/* | sort | tr '\n' ' ')
    [ "$subj" = "Subject: hdr-clean Subject: hdr-info Subject: hdr-prepend Subject: hdr-warn Subject: odd " ] ||
        fail "delivered to alice: $subj (discard and redirect must not be there)"
    grep -q '^Subject: hdr-redirect' "$T/mail/bob.mbox" || fail "REDIRECT to bob"
    pass "DISCARD drops the message, REDIRECT sends it to bob only"
    # HOLD: in the hold queue ('!' in mailq), delivered once released
    ln -s "$BIN" "$T/postqueue"; ln -s "$BIN" "$T/postsuper"
    hid=$(grep -oE '[0-9A-F]+: hold: header Subject: hdr-hold' "$T/maillog" | cut -d: -f1)
    [ -n "$hid" ] || fail "hold log line"
    as_user env MAIL_CONFIG="$T/etc" "$T/postqueue" -p | grep -q "^$hid!" ||
        fail "held message marked ! in the queue listing"
    grep -q "$hid: from=<a@example.com>.*queue active" "$T/maillog" && fail "held message went active"
    as_user env MAIL_CONFIG="$T/etc" "$T/postsuper" -H "$hid" 2>&1 | grep -q 'Released from hold: 1 message' ||
        fail "postsuper -H"
    wait_log "$hid: to=<alice@local.test>.*status=sent" 1
    pass "HOLD puts the message on hold; postsuper -H releases it"
    f=$(grep -l '^Subject: hdr-prepend' "$T"/mail/alice/new/*)
    grep -q '^X-Tagged: yes$' "$f" || fail "PREPEND"
    [ "$(grep -n -E '^(X-Tagged|Subject):' "$f" | cut -d: -f2 | tr '\n' ' ')" = "X-Tagged Subject " ] ||
        fail "PREPEND goes before the header"
    grep -q '^X-Drop' "$f" && fail "IGNORE: X-Drop still there"
    grep -q '^X-New: kept value$' "$f" || fail "REPLACE with \$1"
    grep -q '^X-Old' "$f" && fail "REPLACE: X-Old still there"
    grep -q '^body-drop-line' "$f" && fail "body IGNORE"
    grep -q '^last$' "$f" || fail "body after IGNORE"
    pass "PREPEND, REPLACE (\$1), IGNORE of headers and body lines"
    clines "$T/maillog" > "$T/lines"
    for l in \
        'reject: header Subject: hdr-reject from unknown[127.0.0.1]; from=<a@example.com> to=<alice@local.test> proto=ESMTP helo=<client.example.net>: 5.7.1 message content rejected' \
        'warning: header Subject: hdr-warn from unknown[127.0.0.1]; from=<a@example.com> to=<alice@local.test> proto=ESMTP helo=<client.example.net>: watch out' \
        'info: header Subject: hdr-info from unknown[127.0.0.1]; from=<a@example.com> to=<alice@local.test> proto=ESMTP helo=<client.example.net>: noted' \
        'hold: header Subject: hdr-hold from unknown[127.0.0.1]; from=<a@example.com> to=<alice@local.test> proto=ESMTP helo=<client.example.net>: held for review' \
        'discard: header Subject: hdr-discard from unknown[127.0.0.1]; from=<a@example.com> to=<alice@local.test> proto=ESMTP helo=<client.example.net>: spam' \
        'replace: header X-Old: kept value from unknown[127.0.0.1]; from=<a@example.com> to=<alice@local.test> proto=ESMTP helo=<client.example.net>: X-New: kept value' \
        'warning: body body-warn careful from unknown[127.0.0.1]; from=<a@example.com> to=<alice@local.test> proto=ESMTP helo=<client.example.net>: body careful' \
        'warning: header Weird: 1 from unknown[127.0.0.1]; from=<a@example.com> to=<alice@local.test> proto=ESMTP helo=<client.example.net>: odd header' \
        'redirect: header Subject: hdr-redirect from unknown[127.0.0.1]; from=<a@example.com> to=<alice@local.test> proto=ESMTP helo=<client.example.net>: bob@local.test'; do
        grep -qxF -- "$l" "$T/lines" || { cat "$T/lines"; fail "log line: $l"; }
    done
    pass "cleanup's log lines (reject, warning, info, discard, replace, redirect; body)"
}

case_postfix() {
    local why
    why=$(pf_need)
    [ -z "$why" ] || { echo "skip: $why"; exit 77; }
    hdr_setup
    mta_start
    PFD=$(mktemp -d /tmp/mta-hdr-postfix.XXXXXX)
    chmod 755 "$PFD"
    trap 'pf_stop "$PFD"; rm -rf "$PFD"; cleanup_instance' EXIT
    PFPORT=$(free_port)
    mkdir -p "$PFD/etc/hdr"
    cp "$HD"/* "$PFD/etc/hdr/"
    {
        pf_main_cf "$PFD"
        cat <<CF
myhostname = mx.example.test
mydomain = example.test
myorigin = local.test
mydestination = local.test, localhost
mynetworks = 127.0.0.1/32
alias_maps =
local_recipient_maps =
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_peername_lookup = no
biff = no
local_transport = discard
default_transport = discard
CF
        # Debian's Postfix has pcre: only with postfix-pcre; without it
        # Postern's pcre: tables are compared with Postfix's regexp: (the
        # tables mean the same in both)
        pft=$TYPE
        grep -q '^pcre' /etc/postfix/dynamicmaps.cf 2>/dev/null || pft=regexp
        checks_cf "$PFD/etc/hdr" "$pft"
    } > "$PFD/etc/main.cf"
    pf_master_cf "127.0.0.1:$PFPORT inet n - n - - smtpd" > "$PFD/etc/master.cf"
    pf_start "$PFD" "$PFPORT" || fail "Postfix peer"
    for p in "$PFPORT" "$PORT"; do
        for n in $NAMES; do echo "$n $(PORT=$p send "$n")"; done > "$T/replies.$p"
    done
    diff "$T/replies.$PFPORT" "$T/replies.$PORT" ||
        fail "replies to DATA differ (< Postfix, > Postern)"
    pass "replies to DATA as Postfix's ($(wc -l < "$T/replies.$PORT") messages)"
    sleep 1
    clines "$PFD/maillog" > "$T/postfix.lines"
    clines "$T/maillog" > "$T/postern.lines"
    diff "$T/postfix.lines" "$T/postern.lines" ||
        fail "cleanup's check lines differ (< Postfix, > Postern)"
    [ "$(wc -l < "$T/postern.lines")" -ge 12 ] || fail "too few lines"
    pass "cleanup's log lines as Postfix's ($(wc -l < "$T/postern.lines") lines)"
}

case_smtp() {
    # smtp_header_checks and smtp_body_checks: the smtp client edits what
    # it sends (Postfix's smtp(8) header_body_checks), with its log lines
    . "$HERE/mta_smtp_lib.sh"
    SP=$(free_port)
    setup "relayhost = [127.0.0.1]:$SP"
    printf '%s\n' "smtp_header_checks = $TYPE:$T/etc/shc" \
        "smtp_body_checks = $TYPE:$T/etc/sbc" >> "$T/etc/main.cf"
    cat > "$T/etc/shc" <<'TB'
/^Subject: relay test (.*)/ REPLACE Subject: edited $1
/^X-Seq:/ IGNORE
/^To:/ PREPEND X-Out: yes
/^From:/ WARN from seen
/^Received:/ REJECT not here
TB
    printf '/^hello/ REPLACE HELLO\n/^x+$/ STRIP\n' > "$T/etc/sbc"
    [ "$(id -u)" = 0 ] && chown nobody "$T/etc/shc" "$T/etc/sbc"
    sink sink "127.0.0.1:$SP"
    mta_start
    $PY "$DATA/send.py" "$PORT" a@example.org 1 x@example.net > /dev/null || fail "send"
    wait_sink sink 1
    f=$(ls "$T"/sink/* | head -1)
    grep -q '^Subject: edited 0' "$f" || { cat "$f"; fail "REPLACE with \$1 at the sink"; }
    grep -q '^X-Seq:' "$f" && fail "IGNORE: X-Seq still sent"
    grep -q '^X-Out: yes' "$f" || fail "PREPEND"
    grep -q '^HELLO$' "$f" || fail "body REPLACE"
    grep -q '^xxxx' "$f" && fail "body STRIP"
    grep -q '^\.leading dot' "$f" || fail "the rest of the body"
    id=$(grep -oE 'smtp\[[0-9]+\]: [0-9A-F]+: warning: header From' "$T/maillog" | grep -oE '[0-9A-F]+: warning' | cut -d: -f1)
    for l in "$id: warning: header From: <a@example.org>: from seen" \
        "$id: replace: header Subject: relay test 0: Subject: edited 0" \
        "$id: prepend: header To: <x@example.net>: X-Out: yes" \
        "$id: replace: body hello 0: HELLO" "$id: strip: body $(printf 'x%.0s' $(seq 60))"; do
        grep -qF -- "$l" "$T/maillog" || { grep 'smtp\[' "$T/maillog"; fail "log line: $l"; }
    done
    grep -qF 'warning: unsupported command in smtp_header_checks map: REJECT not here' "$T/maillog" ||
        fail "REJECT in smtp_header_checks: Postfix's warning"
    pass "smtp_header_checks and smtp_body_checks: REPLACE, IGNORE, PREPEND, WARN, STRIP; log lines"
}

case "$CASE" in
smtp) case_smtp ;;
basic) case_basic ;;
postfix) case_postfix ;;
*) fail "unknown case $CASE" ;;
esac
