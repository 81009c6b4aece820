#!/bin/bash
# mta_mime - cleanup's character and MIME rules (issue 19):
# message_reject_characters, message_strip_characters, strict_7bit_headers,
# strict_8bitmime_body, strict_mime_encoding_domain, mime_nesting_limit
# (reported when a header check table is set), header_size_limit.
# Case "basic": the replies to DATA and what is delivered. Case
# "postfix" (root): the same messages to a real Postfix 3.7 with the same
# settings; the replies and cleanup's reject lines must be the same.
#
# usage: mta_mime.sh POSTERN CASE
set -u
BIN=$1
CASE=$2
. "$(dirname "$0")/mta_lib.sh"
. "$(dirname "$0")/postfix_peer.sh"

SETTINGS=("strict_7bit_headers = yes" "strict_8bitmime_body = yes"
    "strict_mime_encoding_domain = yes" "mime_nesting_limit = 3"
    'message_reject_characters = \001' 'message_strip_characters = \002'
    "header_size_limit = 300")

# send NAME: one message; prints "NAME CODE TEXT" for the reply to DATA
NAMES="clean hdr8 body8 body8ok qp8 domain nest reject strip long"
send() {
    $PY - "$1" "$2" <<'PY'
import smtplib, sys
port, name = int(sys.argv[1]), sys.argv[2]
h = b"From: a@example.com\r\nTo: alice@local.test\r\nSubject: %s\r\n" % name.encode()
def multi(depth):
    if depth == 0:
        return b"Content-Type: text/plain\r\n\r\ninner\r\n"
    b = b"b%d" % depth
    return (b"Content-Type: multipart/mixed; boundary=\"" + b + b"\"\r\n\r\n--" + b +
            b"\r\n" + multi(depth - 1) + b"--" + b + b"--\r\n")
msgs = {
    "clean": h + b"\r\nplain ascii\r\n",
    "hdr8": b"From: a@example.com\r\nTo: alice@local.test\r\nSubject: caf\xc3\xa9\r\n\r\nbody\r\n",
    "body8": h + b"\r\ncaf\xc3\xa9 au lait\r\n",
    "body8ok": h + b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
               b"Content-Transfer-Encoding: 8bit\r\n\r\ncaf\xc3\xa9\r\n",
    "qp8": h + b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"xx\"\r\n\r\n"
           b"--xx\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
           b"caf\xc3\xa9\r\n--xx\r\nContent-Type: text/plain\r\n\r\nna\xc3\xafve\r\n--xx--\r\n",
    "domain": h + b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"xx\"\r\n"
              b"Content-Transfer-Encoding: base64\r\n\r\n--xx\r\n\r\nx\r\n--xx--\r\n",
    "nest": h + b"MIME-Version: 1.0\r\n" + multi(6),
    "reject": h + b"\r\nan \x01 inside\r\n",
    "strip": h + b"\r\nst\x02ri\x02pped\r\n",
    "long": h + b"X-Long: start\r\n" + b"".join(b"\tfold %03d xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n" % i for i in range(20)) + b"\r\nbody\r\n",
}
s = smtplib.SMTP("127.0.0.1", port, timeout=20)
s.ehlo("client.example.net")
s.mail("a@example.com")
s.rcpt("alice@local.test")
code, text = s.data(msgs[name])
print(name, code, text.decode().split(" queued as")[0].split(": queued")[0][:80])
s.quit()
PY
}

# rlines LOG: cleanup's reject lines, the queue IDs and client port out
rlines() {
    grep -E 'reject: (mime-error|content)' "$1" |
        sed -E 's/^.*(cleanup|postfix\/cleanup)\[[0-9]+\]: [0-9A-Za-z]+: //' | sort
}

mta_setup "${SETTINGS[@]}"
echo "header_checks = regexp:$T/etc/hdr" >> "$T/etc/main.cf"
echo '/^X-Never-Matches:/ REJECT' > "$T/etc/hdr"
chown -R "$RUN_USER" "$T/etc"
mta_start
for n in $NAMES; do send "$PORT" "$n"; done > "$T/replies"
cat "$T/replies"

case $CASE in
basic)
    want() { grep -q "^$1 $2" "$T/replies" || fail "$1: want $2, got: $(grep "^$1 " "$T/replies")"; }
    want clean 250
    want hdr8 "550 5.6.0 improper use of 8-bit data in message header"
    want body8 "550 5.6.0 improper use of 8-bit data in message body"
    want body8ok 250
    want qp8 "550 5.6.0 improper use of 8-bit data in message body"
    want domain "550 5.6.0 invalid message/\* or multipart/\* encoding domain"
    want nest "550 5.6.0 MIME nesting exceeds safety limit"
    want reject "550 5.7.1 disallowed character"
    want strip 250
    want long 250
    pass "replies to DATA (8-bit header/body, encoding domain, nesting, reject characters)"
    grep -q 'reject: mime-error improper use of 8-bit data in message header: Subject: caf' "$T/maillog" ||
        fail "mime-error log line"
    grep -q 'reject: content an ? inside from unknown\[127.0.0.1\]; from=<a@example.com> to=<alice@local.test> proto=ESMTP helo=<client.example.net>: 5.7.1 disallowed character' "$T/maillog" ||
        { grep reject "$T/maillog"; fail "character reject log line"; }
    pass "log lines: reject: mime-error ..., reject: content ..."
    wait_log 'status=sent' 4
    m=$(grep -l '^Subject: strip' "$T"/mail/alice/new/*)
    grep -q '^stripped' "$m" || { cat -A "$m"; fail "message_strip_characters"; }
    pass "message_strip_characters: \\002 removed from the delivered message"
    m=$(grep -l '^Subject: long' "$T"/mail/alice/new/*)
    n=$(sed -n '/^X-Long:/,/^[^ \t]/p' "$m" | grep -c $'^\tfold')
    [ "$n" -gt 2 ] && [ "$n" -lt 20 ] || fail "header_size_limit: $n of 20 folded lines kept"
    grep -q '^body' "$m" || fail "the body after a cut header"
    pass "header_size_limit: the excess of a long header discarded ($n of 20 lines kept)"
    ;;
postfix)
    why=$(pf_need)
    [ -z "$why" ] || { echo "skip: $why"; exit 77; }
    PFD=$(mktemp -d /tmp/mta-mime-postfix.XXXXXX)
    chmod 755 "$PFD"
    trap 'pf_stop "$PFD"; rm -rf "$PFD"; cleanup_instance' EXIT
    PFPORT=$(free_port)
    mkdir -p "$PFD/etc"
    cp "$T/etc/hdr" "$PFD/etc/hdr"
    {
        pf_main_cf "$PFD"
        pf_local_cf
        echo "local_transport = discard"
        printf '%s\n' "${SETTINGS[@]}" "header_checks = regexp:$PFD/etc/hdr"
    } > "$PFD/etc/main.cf"
    pf_master_cf "127.0.0.1:$PFPORT inet n - n - - smtpd" > "$PFD/etc/master.cf"
    pf_start "$PFD" "$PFPORT" || fail "Postfix peer"
    for n in $NAMES; do send "$PFPORT" "$n"; done > "$T/replies.postfix"
    diff "$T/replies.postfix" "$T/replies" || fail "replies differ (< Postfix, > Postern)"
    pass "replies to DATA as Postfix's ($(wc -l < "$T/replies") messages)"
    sleep 1
    rlines "$PFD/maillog" > "$T/postfix.lines"
    rlines "$T/maillog" > "$T/postern.lines"
    diff "$T/postfix.lines" "$T/postern.lines" || fail "reject lines differ (< Postfix, > Postern)"
    [ "$(wc -l < "$T/postern.lines")" -ge 6 ] || fail "too few reject lines"
    pass "cleanup's reject lines as Postfix's ($(wc -l < "$T/postern.lines") lines)"
    ;;
esac
