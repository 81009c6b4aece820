#!/bin/bash
# mta_rewrite - address rewriting in cleanup end to end (issue 19):
# canonical_maps, sender_/recipient_canonical_maps with their classes,
# masquerade_domains (with a "!" exception) and masquerade_exceptions,
# sender_bcc_maps, recipient_bcc_maps and always_bcc, for mail sent over
# SMTP (python smtplib) and with sendmail; the delivered envelope
# (Return-Path, X-Original-To, Delivered-To) and the virtual agent's log
# lines checked, header addresses (From, To, Cc with a group, Reply-To,
# Sender) checked; (case postfix, as root) everything compared with a
# real Postfix 3.7 given the same maps; case remote: the remote header
# rewriting context; case generic: smtp_generic_maps seen by an
# smtp-sink.
#
# usage: mta_rewrite.sh POSTERN CASE (envelope, postfix, remote, generic)
set -u
BIN=$1
CASE=$2
. "$(dirname "$0")/mta_lib.sh"
. "$(dirname "$0")/postfix_peer.sh"

V_UID=$(id -u nobody 2>/dev/null || id -u)
V_GID=$(id -g nobody 2>/dev/null || id -g)
[ "$(id -u)" = 0 ] || { V_UID=$(id -u); V_GID=$(id -g); }

# the rewriting settings both MTAs get (DIR holds the tables)
rw_cf() {
    cat <<CF
recipient_delimiter = +
virtual_mailbox_domains = vhost.test
virtual_mailbox_maps = texthash:$1/etc/vmailbox
virtual_mailbox_base = $1/vmail
virtual_uid_maps = static:$V_UID
virtual_gid_maps = static:$V_GID
canonical_maps = texthash:$1/etc/canonical
sender_canonical_maps = texthash:$1/etc/scanon
recipient_canonical_maps = texthash:$1/etc/rcanon
recipient_canonical_classes = envelope_recipient, header_recipient
masquerade_domains = !keep.corp.test, corp.test
masquerade_exceptions = root
masquerade_classes = envelope_sender, envelope_recipient, header_sender, header_recipient
sender_bcc_maps = texthash:$1/etc/sbcc
recipient_bcc_maps = texthash:$1/etc/rbcc
always_bcc = archive@vhost.test
CF
}

rw_tables() {
    local d=$1
    mkdir -p "$d/etc" "$d/vmail"
    cat > "$d/etc/vmailbox" <<VM
ann@vhost.test      vhost.test/ann/
ben@vhost.test      vhost.test/ben/
archive@vhost.test  vhost.test/archive/
sbcc@vhost.test     vhost.test/sbcc/
rbcc@vhost.test     vhost.test/rbcc/
VM
    # canonical: one-to-one, a chain (old -> mid -> ann), @domain
    cat > "$d/etc/canonical" <<T
old@vhost.test      mid@vhost.test
mid@vhost.test      ann@vhost.test
@legacy.test        @vhost.test
T
    echo "a@example.com    Sender.Name@mail.corp.test" > "$d/etc/scanon"
    echo "anne@vhost.test  ann@vhost.test" > "$d/etc/rcanon"
    echo "sender.name@corp.test  sbcc@vhost.test" > "$d/etc/sbcc"
    echo "ben@vhost.test   rbcc@vhost.test" > "$d/etc/rbcc"
    if [ "$(id -u)" = 0 ]; then chown -R nobody "$d/etc" "$d/vmail"; fi
}

rsetup() {
    mta_setup "$@"
    rw_cf "$T" >> "$T/etc/main.cf"
    rw_tables "$T"
    echo "virtual   unix  -       n       n      -      -       virtual" >> "$T/etc/master.cf"
}

send() {
    $PY - "$PORT" "$@" <<'PY'
import smtplib, sys
port, sender, rcpts = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
s = smtplib.SMTP("127.0.0.1", port, timeout=10)
s.ehlo("client.example.net")
s.mail(sender)
ok = [r for r in rcpts if s.rcpt(r)[0] == 250]
hdrs = ("From: \"Sender Name\" <%s>\r\n"
        "To: %s\r\n"
        "Cc: bob, \"a b\"@legacy.test (comment), Friends: old@vhost.test,\r\n"
        " anne@vhost.test;, undisclosed-recipients:;\r\n"
        "Reply-To: reply@host.corp.test, <root@host.corp.test>\r\n"
        "Sender: user@host\r\n"
        "X-Not-Rewritten: old@vhost.test\r\n"
        % (sender, ", ".join(ok)))
code, text = s.data(hdrs + "Subject: rewrite %s %s\r\n\r\nbody\r\n"
                    % (sender, " ".join(ok)))
print("DATA %d %s" % (code, text.decode()))
s.quit()
PY
}

# vlines LOG: the virtual agent's delivery lines without time, pid, queue
# ID and delays, sorted
vlines() {
    grep -E 'postfix/virtual\[[0-9]+\]: [0-9A-F]+: to=' "$1" |
        sed -E 's/^.*postfix\/virtual\[[0-9]+\]: [0-9A-F]+: //; s/, delay=[0-9.]+, delays=[0-9./]+//' |
        sort
}

# heads BASE: the first three lines and the address headers (folded
# lines kept) of every delivered file, one line each, with the mailbox
# name, sorted
heads() {
    for f in "$1"/vhost.test/*/new/*; do
        [ -f "$f" ] || continue
        printf '%s: ' "$(basename "$(dirname "$(dirname "$f")")")"
        { sed -n '1,3p' "$f"
          sed '/^$/q' "$f" | awk '/^[^ \t]/{p = ($0 ~ /^(From|To|Cc|Reply-To|Sender|X-Not-Rewritten|Subject):/)} p'
        } | tr '\n' '|'; echo
    done | sort
}

MSGS=(
    "a@example.com old@vhost.test ben@vhost.test"
    "x@host.corp.test anne@vhost.test ben@legacy.test"
    "root@host.corp.test ann@vhost.test"
    "y@keep.corp.test ann+tag@vhost.test"
)
NLINES=13  # virtual deliveries the messages above make

send_all() {
    local m
    for m in "${MSGS[@]}"; do
        # shellcheck disable=SC2086
        send $m | grep -q '^DATA 250 ' || fail "message '$m' accepted on $PORT"
    done
}

case_envelope() {
    rsetup
    mta_start
    send_all
    wait_log 'postfix/virtual.*status=sent' $NLINES
    vlines "$T/maillog" > "$T/lines"
    want() { grep -qxF -- "$1" "$T/lines" || { cat "$T/lines"; fail "$2: $1"; }; }
    want 'to=<ann@vhost.test>, orig_to=<old@vhost.test>, relay=virtual, dsn=2.0.0, status=sent (delivered to maildir)' \
        "canonical_maps chain old -> mid -> ann"
    want 'to=<ann@vhost.test>, orig_to=<anne@vhost.test>, relay=virtual, dsn=2.0.0, status=sent (delivered to maildir)' \
        "recipient_canonical_maps"
    want 'to=<rbcc@vhost.test>, relay=virtual, dsn=2.0.0, status=sent (delivered to maildir)' \
        "recipient_bcc_maps"
    want 'to=<sbcc@vhost.test>, relay=virtual, dsn=2.0.0, status=sent (delivered to maildir)' \
        "sender_bcc_maps after sender canonical and masquerading"
    [ "$(grep -c '^to=<archive@vhost.test>' "$T/lines")" = 4 ] || fail "always_bcc on each message"
    grep -qE 'postfix/qmgr\[[0-9]+\]: [0-9A-F]+: from=<Sender.Name@corp.test>, size=' "$T/maillog" ||
        fail "sender_canonical_maps then masquerade_domains on the sender"
    grep -qE 'postfix/qmgr\[[0-9]+\]: [0-9A-F]+: from=<x@corp.test>,' "$T/maillog" ||
        fail "masquerading host.corp.test -> corp.test"
    grep -qE 'postfix/qmgr\[[0-9]+\]: [0-9A-F]+: from=<root@host.corp.test>,' "$T/maillog" ||
        fail "masquerade_exceptions keeps root"
    grep -qE 'postfix/qmgr\[[0-9]+\]: [0-9A-F]+: from=<y@keep.corp.test>,' "$T/maillog" ||
        fail "!keep.corp.test is not masqueraded"
    want 'to=<ben@vhost.test>, orig_to=<ben@legacy.test>, relay=virtual, dsn=2.0.0, status=sent (delivered to maildir)' \
        "an @domain canonical mapping keeps the user"
    [ "$(grep -c '^to=<rbcc@vhost.test>' "$T/lines")" = 2 ] ||
        fail "recipient_bcc_maps looks up the rewritten recipient"
    pass "canonical maps, masquerading and BCCs on the SMTP envelope"
    f=$(grep -l '^Subject: rewrite a@example.com' "$T"/vmail/vhost.test/ann/new/*) ||
        fail "message 1 in ann's Maildir"
    head -3 "$f" | tr '\n' '|' | grep -qx 'Return-Path: <Sender.Name@corp.test>|X-Original-To: old@vhost.test|Delivered-To: ann@vhost.test|' ||
        { head -3 "$f"; fail "Return-Path, X-Original-To, Delivered-To"; }
    pass "the delivered envelope: $(head -1 "$f")"
    # header addresses (a local client: the local rewriting context)
    hv() { sed '/^$/q' "$f" | awk -v h="$1" '/^[^ \t]/{p = (index($0, h ":") == 1)} p'; }
    [ "$(hv From)" = 'From: "Sender Name" <Sender.Name@corp.test>' ] ||
        { hv From; fail "From: sender_canonical_maps then masquerading"; }
    [ "$(hv To)" = 'To: ann@vhost.test, ben@vhost.test' ] ||
        { hv To; fail "To: canonical_maps (old -> mid -> ann)"; }
    [ "$(hv Sender)" = 'Sender: user@host' ] ||
        { hv Sender; fail "Sender: append_dot_mydomain is off at compatibility level 3.6"; }
    [ "$(hv Reply-To)" = 'Reply-To: reply@corp.test, <root@host.corp.test>' ] ||
        { hv Reply-To; fail "Reply-To: masquerading, root excepted"; }
    [ "$(hv X-Not-Rewritten)" = 'X-Not-Rewritten: old@vhost.test' ] || fail "other headers untouched"
    hv Cc | tr '\n' '|' | grep -qxF 'Cc: bob@local.test, "a b"@vhost.test (comment),|	Friends: ann@vhost.test, ann@vhost.test;, undisclosed-recipients: ;|' ||
        { hv Cc; fail "Cc: a group, a quoted local part, a comment; folded as Postfix 3.7 does"; }
    pass "header addresses rewritten: $(hv From)"

    printf 'Subject: via sendmail\n\nlocal body\n' |
        as_user "$BIN" sendmail -C "$T/etc" -f a@example.com old@vhost.test ||
        fail "sendmail"
    wait_log 'to=<archive@vhost.test>' 5
    f=$(grep -l '^Subject: via sendmail$' "$T"/vmail/vhost.test/ann/new/*) ||
        fail "sendmail message rewritten to ann"
    head -1 "$f" | grep -qx 'Return-Path: <Sender.Name@corp.test>' || fail "sendmail sender rewritten"
    grep -l '^Subject: via sendmail$' "$T"/vmail/vhost.test/sbcc/new/* >/dev/null ||
        fail "sendmail: sender_bcc_maps"
    pass "local submission (sendmail, pickup) rewritten the same way"
}

case_postfix() {
    local why
    why=$(pf_need)
    [ -z "$why" ] || { echo "skip: $why"; exit 77; }
    rsetup "smtpd_reject_unlisted_recipient = no"
    mta_start
    PFD=$(mktemp -d /tmp/mta-rewrite-postfix.XXXXXX)
    chmod 755 "$PFD"
    trap 'pf_stop "$PFD"; [ -n "${KEEP:-}" ] || rm -rf "$PFD"; cleanup_instance' EXIT
    PFPORT=$(free_port)
    rw_tables "$PFD"
    chown nobody:nogroup "$PFD/vmail"
    {
        pf_main_cf "$PFD"
        pf_local_cf
        rw_cf "$PFD"
    } > "$PFD/etc/main.cf"
    pf_master_cf "127.0.0.1:$PFPORT inet n  -       n      -      -       smtpd" \
        > "$PFD/etc/master.cf"
    pf_start "$PFD" "$PFPORT" || fail "Postfix peer"
    for p in "$PORT" "$PFPORT"; do PORT=$p send_all; done
    wait_log 'postfix/virtual.*status=' $NLINES
    for _ in $(seq 100); do
        [ "$(grep -cE 'postfix/virtual.*status=' "$PFD/maillog")" -ge $NLINES ] && break
        sleep 0.1
    done
    sleep 0.5
    vlines "$PFD/maillog" > "$T/postfix.lines"
    vlines "$T/maillog" > "$T/postern.lines"
    diff "$T/postfix.lines" "$T/postern.lines" ||
        fail "virtual delivery lines differ (< Postfix, > Postern)"
    [ "$(wc -l < "$T/postern.lines")" = $NLINES ] || fail "$NLINES delivery lines"
    pass "the same deliveries as Postfix ($NLINES virtual lines, to= and orig_to= alike)"
    qfrom() { grep -oE 'postfix/qmgr\[[0-9]+\]: [0-9A-F]+: from=<[^>]*>, size=[0-9]+, nrcpt=[0-9]+' "$1" |
        sed -E 's/^[^ ]+ [0-9A-F]+: //; s/, size=[0-9]+//' | sort; }
    qfrom "$PFD/maillog" > "$T/postfix.from"
    qfrom "$T/maillog" > "$T/postern.from"
    diff "$T/postfix.from" "$T/postern.from" || fail "qmgr from=/nrcpt= differ (< Postfix, > Postern)"
    pass "envelope senders and recipient counts as Postfix's: $(tr '\n' ' ' < "$T/postern.from")"
    heads "$PFD/vmail" > "$T/postfix.heads"
    heads "$T/vmail" > "$T/postern.heads"
    diff "$T/postfix.heads" "$T/postern.heads" ||
        fail "delivered Return-Path/X-Original-To/Delivered-To differ (< Postfix, > Postern)"
    pass "delivered files begin as Postfix's"
}

case_generic() {
    # smtp_generic_maps: what leaves through the smtp client (envelope
    # and headers) is rewritten; the queue file and local copies are not
    local sinkbin f
    sinkbin=$(command -v smtp-sink || echo /usr/sbin/smtp-sink)
    [ -x "$sinkbin" ] || { echo "skip: smtp-sink (Debian package postfix) not installed"; exit 77; }
    SINKPORT=$(free_port)
    rsetup "relay_domains = out.test" "relay_transport = smtp:[127.0.0.1]:$SINKPORT" \
        "smtpd_reject_unlisted_recipient = no" \
        "smtp_generic_maps = texthash:\$config_directory/generic"
    cat > "$T/etc/generic" <<G
sender.name@corp.test   public@out.test
dest@out.test           real+box@out.test
@vhost.test             @public.test
G
    [ "$(id -u)" = 0 ] && chown nobody "$T/etc/generic"
    mkdir -p "$T/sink" && chmod 777 "$T/sink"
    local u=()
    [ "$(id -u)" = 0 ] && u=(-u nobody)
    "$sinkbin" "${u[@]}" -d "$T/sink/%M." "127.0.0.1:$SINKPORT" 16 2>>"$T/sink.err" &
    PIDS+=($!)
    trap 'stop_pids; cleanup_instance' EXIT
    mta_start
    send a@example.com dest@out.test | grep -q '^DATA 250 ' || fail "accepted"
    wait_log "postfix/smtp\[[0-9]+\]: [0-9A-F]+: to=<dest@out\.test>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:$SINKPORT, .*status=sent" 1 20
    for _ in $(seq 50); do f=$(ls "$T"/sink/* 2>/dev/null | head -1); [ -n "$f" ] && break; sleep 0.1; done
    [ -n "$f" ] || fail "the sink got the message"
    grep -q '^X-Mail-Args: <public@out.test>' "$f" || { head -20 "$f"; fail "MAIL FROM rewritten by smtp_generic_maps"; }
    grep -q '^X-Rcpt-Args: <real+box@out.test>' "$f" || { head -20 "$f"; fail "RCPT TO rewritten"; }
    grep -q '^From: "Sender Name" <public@out.test>$' "$f" || { sed '/^$/q' "$f"; fail "From: rewritten"; }
    grep -q '^To: real+box@out.test$' "$f" || { sed '/^$/q' "$f"; fail "To: rewritten"; }
    grep -q '^X-Not-Rewritten: old@vhost.test$' "$f" || fail "other headers untouched"
    sed '/^$/q' "$f" | grep -q '^Cc: .*"a b"@public.test (comment)' || { sed '/^$/q' "$f"; fail "Cc: @domain generic mapping"; }
    pass "smtp_generic_maps: $(grep '^X-Mail-Args' "$f"), $(grep '^From:' "$f")"
    f=$(grep -l '^Subject: rewrite a@example.com' "$T"/vmail/vhost.test/archive/new/*) || fail "archive copy"
    grep -q '^From: "Sender Name" <Sender.Name@corp.test>$' "$f" || fail "local copies keep the canonical From:"
    pass "the local always_bcc copy is not generic-mapped"
}

case_remote() {
    # a client that local_header_rewrite_clients does not name: with
    # remote_header_rewrite_domain its incomplete header addresses get
    # that domain; without it Postfix rewrites no header at all (not
    # even canonical_maps), while the envelope is rewritten either way
    local f dom
    for dom in remote.example ""; do
        rsetup "local_header_rewrite_clients = permit_mynetworks" \
            "mynetworks = 192.0.2.0/24" \
            "smtpd_relay_restrictions = permit_auth_destination, reject" \
            "remote_header_rewrite_domain = $dom"
        mta_start
        send a@example.com old@vhost.test | grep -q '^DATA 250 ' || fail "accepted ($dom)"
        wait_log 'to=<archive@vhost.test>' 1
        wait_log 'to=<ann@vhost.test>, orig_to=<old@vhost.test>' 1
        f=$(grep -l '^Subject: rewrite a@example.com' "$T"/vmail/vhost.test/ann/new/*) ||
            fail "delivered ($dom)"
        if [ -n "$dom" ]; then
            sed '/^$/q' "$f" | grep -q '^Cc: bob@remote.example, ' ||
                { sed '/^$/q' "$f"; fail "remote context: bob -> bob@remote.example"; }
            grep -q '^To: ann@vhost.test$' "$f" || fail "remote context: canonical_maps on To:"
        else
            sed '/^$/q' "$f" | grep -q '^Cc: bob, "a b"@legacy.test (comment), Friends: old@vhost.test,$' ||
                { sed '/^$/q' "$f"; fail "no remote_header_rewrite_domain: headers untouched"; }
            grep -q '^To: old@vhost.test$' "$f" || fail "no remote_header_rewrite_domain: To: untouched"
            grep -q '^Return-Path: <Sender.Name@corp.test>$' "$f" || fail "the envelope is still rewritten"
        fi
        mta_stop
        cleanup_instance
        trap - EXIT
    done
    pass "remote clients: remote_header_rewrite_domain, and no header rewriting without it"
}

"case_$CASE"
