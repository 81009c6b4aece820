#!/usr/bin/env bash
# mta_sasl.sh - SMTP AUTH end to end with a real Dovecot (issue 18).
#
#   mta_sasl.sh BIN postern|postfix|cyrus|check
#
# A Postern instance with Debian's submission (587: STARTTLS, then AUTH)
# and submissions (465: smtpd_tls_wrappermode) services and their -o
# overrides and mua_* restriction classes, and a port-25 service with
# smtpd_tls_auth_only; the logins are checked by an unprivileged Dovecot
# (tests/dovecot_lib.sh) over its auth socket (unix, relative to the
# queue directory as private/auth, and inet:).
#
# postern: the dialogues get Postfix 3.7's replies (the texts below);
# Python's smtplib and swaks log in with PLAIN and LOGIN over STARTTLS
# and send mail that is relayed (to a smtp-sink) only after AUTH; a
# wrong password gets 535 and the log line that fail2ban's postfix-sasl
# filter (mode=auth) matches, checked with fail2ban-regex; the client=
# line carries sasl_method and sasl_username; the Received: header
# says ESMTPSA.
# postfix: the same dialogues against a real Postfix 3.7 smtpd with the
# same settings and the same Dovecot: the replies must be the texts the
# postern case holds Postern to, and so must the log lines.
# cyrus: smtpd_sasl_type = cyrus through libsasl2, sasldb users in the
# test's cyrus_sasl_config_path.
# check: "postern check" marks the SASL settings honoured and refuses an
# unknown smtpd_sasl_type with its line.
set -u
BIN=$1
CASE=$2
. "$(dirname "$0")/mta_lib.sh"
. "$(dirname "$0")/dovecot_lib.sh"

command -v openssl >/dev/null || { echo "skip: openssl not installed"; exit 77; }

# main_cf DIR: the settings both servers share (DIR: the queue directory)
main_cf() {
    cat <<EOF
smtpd_tls_cert_file = $T/cert.pem
smtpd_tls_key_file = $T/key.pem
smtpd_tls_security_level = may
smtpd_tls_auth_only = yes
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = inet:127.0.0.1:$DOVECOT_AUTH_PORT
smtpd_sender_login_maps = texthash:$T/senders
smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination
smtpd_sender_restrictions = reject_known_sender_login_mismatch
smtpd_restriction_classes = mua_client_restrictions, mua_sender_restrictions
mua_client_restrictions = permit_sasl_authenticated, reject
mua_sender_restrictions = reject_sender_login_mismatch, permit_sasl_authenticated, reject
EOF
}

# master_cf: submission and submissions as Debian's master.cf writes them
master_cf() {
    cat <<EOF
127.0.0.1:$SUB inet n - n - - smtpd
  -o syslog_name=postfix/submission
  -o smtpd_sasl_authenticated_header=yes
  -o smtpd_tls_security_level=encrypt
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_sasl_path=${SUB_SASL_PATH:-private/auth}
  -o smtpd_tls_auth_only=yes
  -o smtpd_reject_unlisted_recipient=no
  -o smtpd_client_restrictions=\$mua_client_restrictions
  -o smtpd_helo_restrictions=
  -o smtpd_sender_restrictions=\$mua_sender_restrictions
  -o smtpd_relay_restrictions=
  -o smtpd_recipient_restrictions=permit_sasl_authenticated,reject
127.0.0.1:$EXC inet n - n - - smtpd
  -o syslog_name=postfix/exc
  -o smtpd_tls_auth_only=no
  -o smtpd_sasl_exceptions_networks=127.0.0.0/8
127.0.0.1:$BRK inet n - n - - smtpd
  -o syslog_name=postfix/brk
  -o smtpd_tls_auth_only=no
  -o broken_sasl_auth_clients=yes
127.0.0.1:$SUBS inet n - n - - smtpd
  -o syslog_name=postfix/submissions
  -o smtpd_tls_wrappermode=yes
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_sasl_mechanism_filter=!plain,static:all
  -o smtpd_reject_unlisted_recipient=no
  -o smtpd_client_restrictions=\$mua_client_restrictions
  -o smtpd_helo_restrictions=
  -o smtpd_sender_restrictions=\$mua_sender_restrictions
  -o smtpd_relay_restrictions=
  -o smtpd_recipient_restrictions=permit_sasl_authenticated,reject
EOF
}

# the dialogues (sasl_dialogue.py) with Postfix 3.7's replies
dialogues() {
    cat <<'EOF'
# port 25: no AUTH before STARTTLS (smtpd_tls_auth_only), then offered
auth_only smtp EHLO c.test ; AUTH PLAIN b64{\0alice@example.test\0secret} ; STARTTLS ; EHLO c.test ; AUTH PLAIN b64{\0alice@example.test\0secret} ; AUTH PLAIN b64{x}
# unauthenticated relay refused; a local sender owned by a login needs it
no_relay smtp EHLO c.test ; MAIL FROM:<x@remote.test> ; RCPT TO:<bob@remote.test> ; RSET ; MAIL FROM:<alice@example.test> ; RCPT TO:<bob@remote.test>
relay_after_auth smtp EHLO c.test ; STARTTLS ; EHLO c.test ; AUTH PLAIN b64{\0alice@example.test\0secret} ; MAIL FROM:<alice@example.test> ; RCPT TO:<bob@remote.test> ; DATA
# submission: STARTTLS first, then AUTH; wrong password, LOGIN, abort
sub_plaintext sub EHLO c.test ; AUTH LOGIN ; MAIL FROM:<alice@example.test>
sub_badpass sub EHLO c.test ; STARTTLS ; EHLO c.test ; AUTH PLAIN b64{\0alice@example.test\0wrong}
sub_login sub EHLO c.test ; STARTTLS ; EHLO c.test ; AUTH LOGIN ; b64{bob@example.test} ; b64{hunter2} ; MAIL FROM:<bob@example.test> ; RCPT TO:<carol@remote.test>
sub_login_ir sub EHLO c.test ; STARTTLS ; EHLO c.test ; AUTH LOGIN b64{bob@example.test} ; b64{hunter2}
sub_abort sub EHLO c.test ; STARTTLS ; EHLO c.test ; AUTH LOGIN ; *
sub_badmech sub EHLO c.test ; STARTTLS ; EHLO c.test ; AUTH CRAM-MD5 ; AUTH ; AUTH PLAIN b64{\0alice@example.test\0secret} ; AUTH PLAIN b64{\0alice@example.test\0secret}
sub_badb64 sub EHLO c.test ; STARTTLS ; EHLO c.test ; AUTH PLAIN !!!
sub_mismatch sub EHLO c.test ; STARTTLS ; EHLO c.test ; AUTH PLAIN b64{\0alice@example.test\0secret} ; MAIL FROM:<bob@example.test> ; RCPT TO:<carol@remote.test>
sub_noauth sub EHLO c.test ; STARTTLS ; EHLO c.test ; MAIL FROM:<x@remote.test> ; RCPT TO:<carol@remote.test>
sub_mailopt sub EHLO c.test ; STARTTLS ; EHLO c.test ; AUTH PLAIN b64{\0alice@example.test\0secret} ; MAIL FROM:<alice@example.test> AUTH=<> ; RSET ; MAIL FROM:<alice@example.test> AUTH=alice@example.test ; RCPT TO:<carol@remote.test> ; DATA
sub_in_mail sub EHLO c.test ; STARTTLS ; EHLO c.test ; MAIL FROM:<x@remote.test> ; AUTH PLAIN b64{\0alice@example.test\0secret}
# submissions announces LOGIN only (smtpd_sasl_mechanism_filter), PLAIN still works
subs_login ssl:subs EHLO c.test ; AUTH PLAIN b64{\0alice@example.test\0secret} ; MAIL FROM:<alice@example.test> ; RCPT TO:<carol@remote.test>
# an exception network gets no AUTH in EHLO, yet may use it; a response
# over smtpd_sasl_response_limit (12288, the least Postfix takes) and one
# at it; broken_sasl_auth_clients
exc_hidden exc EHLO c.test ; AUTH PLAIN b64{\0alice@example.test\0secret}
exc_limit exc EHLO c.test ; AUTH LOGIN ; long{12288} ; NOOP ; AUTH LOGIN ; long{12287}
brk_ehlo brk EHLO c.test ; AUTH LOGIN b64{bob@example.test} ; b64{hunter2}
EOF
}

expected() {
    cat <<'EOF'
auth_only | 220 mx.example.test ESMTP Postfix | 250 no-AUTH | 503 5.5.1 Error: authentication not enabled | 220 2.0.0 Ready to start TLS | 250 AUTH PLAIN LOGIN | 235 2.7.0 Authentication successful | 503 5.5.1 Error: already authenticated | 221 2.0.0 Bye
no_relay | 220 mx.example.test ESMTP Postfix | 250 no-AUTH | 250 2.1.0 Ok | 554 5.7.1 <bob@remote.test>: Relay access denied | 250 2.0.0 Ok | 250 2.1.0 Ok | 553 5.7.1 <alice@example.test>: Sender address rejected: not logged in | 221 2.0.0 Bye
relay_after_auth | 220 mx.example.test ESMTP Postfix | 250 no-AUTH | 220 2.0.0 Ready to start TLS | 250 AUTH PLAIN LOGIN | 235 2.7.0 Authentication successful | 250 2.1.0 Ok | 250 2.1.5 Ok | 354 End data with <CR><LF>.<CR><LF> | 250 2.0.0 Ok: queued as QID | 221 2.0.0 Bye
sub_plaintext | 220 mx.example.test ESMTP Postfix | 250 no-AUTH | 530 5.7.0 Must issue a STARTTLS command first | 530 5.7.0 Must issue a STARTTLS command first | 221 2.0.0 Bye
sub_badpass | 220 mx.example.test ESMTP Postfix | 250 no-AUTH | 220 2.0.0 Ready to start TLS | 250 AUTH PLAIN LOGIN | 535 5.7.8 Error: authentication failed: (reason unavailable) | 221 2.0.0 Bye
sub_login | 220 mx.example.test ESMTP Postfix | 250 no-AUTH | 220 2.0.0 Ready to start TLS | 250 AUTH PLAIN LOGIN | 334 VXNlcm5hbWU6 | 334 UGFzc3dvcmQ6 | 235 2.7.0 Authentication successful | 250 2.1.0 Ok | 250 2.1.5 Ok | 221 2.0.0 Bye
sub_login_ir | 220 mx.example.test ESMTP Postfix | 250 no-AUTH | 220 2.0.0 Ready to start TLS | 250 AUTH PLAIN LOGIN | 334 UGFzc3dvcmQ6 | 235 2.7.0 Authentication successful | 221 2.0.0 Bye
sub_abort | 220 mx.example.test ESMTP Postfix | 250 no-AUTH | 220 2.0.0 Ready to start TLS | 250 AUTH PLAIN LOGIN | 334 VXNlcm5hbWU6 | 501 5.7.0 Authentication aborted | 221 2.0.0 Bye
sub_badmech | 220 mx.example.test ESMTP Postfix | 250 no-AUTH | 220 2.0.0 Ready to start TLS | 250 AUTH PLAIN LOGIN | 535 5.7.8 Error: authentication failed: Invalid authentication mechanism | 501 5.5.4 Syntax: AUTH mechanism | 235 2.7.0 Authentication successful | 503 5.5.1 Error: already authenticated | 221 2.0.0 Bye
sub_badb64 | 220 mx.example.test ESMTP Postfix | 250 no-AUTH | 220 2.0.0 Ready to start TLS | 250 AUTH PLAIN LOGIN | 535 5.7.8 Error: authentication failed: Invalid base64 data in initial response | 221 2.0.0 Bye
sub_mismatch | 220 mx.example.test ESMTP Postfix | 250 no-AUTH | 220 2.0.0 Ready to start TLS | 250 AUTH PLAIN LOGIN | 235 2.7.0 Authentication successful | 250 2.1.0 Ok | 553 5.7.1 <bob@example.test>: Sender address rejected: not owned by user alice@example.test | 221 2.0.0 Bye
sub_noauth | 220 mx.example.test ESMTP Postfix | 250 no-AUTH | 220 2.0.0 Ready to start TLS | 250 AUTH PLAIN LOGIN | 250 2.1.0 Ok | 554 5.7.1 <unknown[127.0.0.1]>: Client host rejected: Access denied | 221 2.0.0 Bye
sub_mailopt | 220 mx.example.test ESMTP Postfix | 250 no-AUTH | 220 2.0.0 Ready to start TLS | 250 AUTH PLAIN LOGIN | 235 2.7.0 Authentication successful | 250 2.1.0 Ok | 250 2.0.0 Ok | 250 2.1.0 Ok | 250 2.1.5 Ok | 354 End data with <CR><LF>.<CR><LF> | 250 2.0.0 Ok: queued as QID | 221 2.0.0 Bye
sub_in_mail | 220 mx.example.test ESMTP Postfix | 250 no-AUTH | 220 2.0.0 Ready to start TLS | 250 AUTH PLAIN LOGIN | 250 2.1.0 Ok | 503 5.5.1 Error: MAIL transaction in progress | 221 2.0.0 Bye
subs_login | 220 mx.example.test ESMTP Postfix | 250 AUTH LOGIN | 235 2.7.0 Authentication successful | 250 2.1.0 Ok | 250 2.1.5 Ok | 221 2.0.0 Bye
exc_hidden | 220 mx.example.test ESMTP Postfix | 250 no-AUTH | 235 2.7.0 Authentication successful | 221 2.0.0 Bye
exc_limit | 220 mx.example.test ESMTP Postfix | 250 no-AUTH | 334 VXNlcm5hbWU6 | 500 5.5.6 SASL response limit exceeded | 250 2.0.0 Ok | 334 VXNlcm5hbWU6 | 535 5.7.8 Error: authentication failed: Invalid base64 data in continued response | 221 2.0.0 Bye
brk_ehlo | 220 mx.example.test ESMTP Postfix | 250 AUTH PLAIN LOGIN ; AUTH=PLAIN LOGIN | 334 UGFzc3dvcmQ6 | 235 2.7.0 Authentication successful | 221 2.0.0 Bye
EOF
}

# the "disconnect from" lines of the dialogues, in order (per-command
# counts: auth=0/1 for a failed AUTH)
disconnects() {
    cat <<'EOF'
ehlo=2 starttls=1 auth=1/3 quit=1 commands=5/7
ehlo=1 mail=2 rcpt=0/2 rset=1 quit=1 commands=5/7
ehlo=2 starttls=1 auth=1 mail=1 rcpt=1 data=1 quit=1 commands=8
ehlo=1 auth=0/1 mail=0/1 quit=1 commands=2/4
ehlo=2 starttls=1 auth=0/1 quit=1 commands=4/5
ehlo=2 starttls=1 auth=1 mail=1 rcpt=1 quit=1 commands=7
ehlo=2 starttls=1 auth=1 quit=1 commands=5
ehlo=2 starttls=1 auth=0/1 quit=1 commands=4/5
ehlo=2 starttls=1 auth=1/4 quit=1 commands=5/8
ehlo=2 starttls=1 auth=0/1 quit=1 commands=4/5
ehlo=2 starttls=1 auth=1 mail=1 rcpt=0/1 quit=1 commands=6/7
ehlo=2 starttls=1 mail=1 rcpt=0/1 quit=1 commands=5/6
ehlo=2 starttls=1 auth=1 mail=2 rcpt=1 data=1 rset=1 quit=1 commands=10
ehlo=2 starttls=1 auth=0/1 mail=1 quit=1 commands=5/6
ehlo=1 auth=1 mail=1 rcpt=1 quit=1 commands=5
ehlo=1 auth=1 quit=1 commands=3
ehlo=1 auth=0/2 noop=1 quit=1 commands=3/5
ehlo=1 auth=1 quit=1 commands=3
EOF
}

# check_disconnects LOG: the dialogues' disconnect lines are those above
check_disconnects() {
    local n
    n=$(disconnects | wc -l)
    for _ in $(seq 50); do
        [ "$(grep 'smtpd\[[0-9]*\]: disconnect from' "$1" | grep -vc ' commands=0/0$')" -ge "$n" ] && break
        sleep 0.1
    done
    # (not the probe that waited for the port: commands=0/0)
    sed -nE 's/.*smtpd\[[0-9]+\]: disconnect from unknown\[127\.0\.0\.1\] //p' "$1" |
        grep -v '^commands=0/0$' | head -n "$(disconnects | wc -l)" > "$T/disconnects"
    diff -u <(disconnects) "$T/disconnects" || fail "disconnect lines differ"
    pass "$(wc -l < "$T/disconnects") disconnect lines with Postfix's per-command counts"
}

# setup_common: Dovecot, certificates, the sender owners, the ports
# (in $T, made by the caller)
setup_common() {
    dovecot_start alice@example.test:secret bob@example.test:hunter2
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -subj /CN=mx.example.test -days 2 -keyout "$T/key.pem" \
        -out "$T/cert.pem" >/dev/null 2>&1 || fail "openssl"
    chmod 644 "$T/key.pem"
    printf 'alice@example.test alice@example.test\nbob@example.test bob@example.test\n' > "$T/senders"
    SUB=$(free_port)
    SUBS=$(free_port)
    EXC=$(free_port)
    BRK=$(free_port)
}

# ---- Postern --------------------------------------------------------------
start_sink() {
    SINK_PORT=$(free_port)
    local u=()
    [ "$(id -u)" = 0 ] && u=(-u nobody)
    mkdir -p "$T/sink"; chmod 777 "$T/sink"
    smtp-sink "${u[@]}" -d "$T/sink/%M." "127.0.0.1:$SINK_PORT" 16 2>/dev/null &
    PIDS+=($!)
}

start_postern() {
    mta_setup "smtpd_banner = \$myhostname ESMTP Postfix"
    sed -i 's/^mynetworks = .*/mynetworks = 192.0.2.0\/24/' "$T/etc/main.cf"
    setup_common
    start_sink
    echo "relayhost = [127.0.0.1]:$SINK_PORT" >> "$T/etc/main.cf"
    main_cf >> "$T/etc/main.cf"
    master_cf >> "$T/etc/master.cf"
    mta_start
    # private/auth in the queue directory: Dovecot's unix socket
    ln -s "$DOVECOT_AUTH_SOCKET" "$T/queue/private/auth"
}

case_postern() {
    command -v smtp-sink >/dev/null || { echo "skip: smtp-sink not installed"; exit 77; }
    start_postern
    sinkdir=$T
    py sasl_dialogue.py <(dialogues) "smtp=$PORT" "sub=$SUB" "subs=$SUBS" "exc=$EXC" "brk=$BRK" \
        > "$T/postern.out" || fail "sasl_dialogue.py"
    diff -u <(expected) "$T/postern.out" || fail "replies differ from Postfix 3.7's"
    pass "$(dialogues | grep -vc '^#') AUTH dialogues answered as Postfix 3.7 answers them"

    # the log lines
    wait_log 'postfix/submission/smtpd\[[0-9]+\]: warning: unknown\[127\.0\.0\.1\]: SASL PLAIN authentication failed: \(reason unavailable\), sasl_username=alice@example\.test$'
    wait_log 'postfix/smtpd\[[0-9]+\]: [0-9A-F]+: client=unknown\[127\.0\.0\.1\], sasl_method=PLAIN, sasl_username=alice@example\.test$'
    wait_log 'postfix/submission/smtpd\[[0-9]+\]: [0-9A-F]+: client=unknown\[127\.0\.0\.1\], sasl_method=PLAIN, sasl_username=alice@example\.test, sasl_sender=alice@example\.test$'
    wait_log 'warning: unknown\[127\.0\.0\.1\]: SASL LOGIN authentication aborted$'
    wait_log 'NOQUEUE: reject: RCPT from unknown\[127\.0\.0\.1\]: 553 5\.7\.1 <bob@example\.test>: Sender address rejected: not owned by user alice@example\.test; from=<bob@example\.test> to=<carol@remote\.test> proto=ESMTP helo=<c\.test>$'
    check_disconnects "$T/maillog"
    pass "log lines: SASL failure, client= with sasl_method/sasl_username/sasl_sender, reject"

    # fail2ban's postfix filter, mode=auth, on Postern's maillog
    if command -v fail2ban-regex >/dev/null && [ -f /etc/fail2ban/filter.d/postfix.conf ]; then
        fail2ban-regex "$T/maillog" '/etc/fail2ban/filter.d/postfix.conf[mode=auth]' \
            > "$T/f2b.out" 2>&1 || { cat "$T/f2b.out"; fail "fail2ban-regex"; }
        n=$(count_log 'SASL (PLAIN|LOGIN) authentication failed:')
        grep -qE "^Failregex: $n total" "$T/f2b.out" ||
            { cat "$T/f2b.out"; fail "fail2ban's postfix-sasl filter matched other than the $n failure lines"; }
        pass "fail2ban-regex (postfix.conf, mode=auth) matches the $n failure lines"
    else
        echo "note: fail2ban not installed, filter not checked"
    fi

    # Python's smtplib: STARTTLS + PLAIN and LOGIN, a relayed message
    $PY - "$SUB" <<'PY' || fail "smtplib"
import smtplib, ssl, sys
ctx = ssl._create_unverified_context()
for mech, user, pw in (("PLAIN", "alice@example.test", "secret"),
                       ("LOGIN", "bob@example.test", "hunter2")):
    s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=30)
    s.starttls(context=ctx)
    s.ehlo("py.test")
    assert mech in s.esmtp_features["auth"], s.esmtp_features
    s.user, s.password = user, pw
    code, msg = s.auth(mech, getattr(s, "auth_" + mech.lower()),
                       initial_response_ok=(mech == "PLAIN"))
    assert code == 235, (code, msg)
    s.sendmail(user, ["dest@remote.test"],
               "Subject: smtplib %s\r\n\r\nbody\r\n" % mech)
    s.quit()
try:
    s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=30)
    s.starttls(context=ctx)
    s.login("alice@example.test", "nope")
    sys.exit("login with a wrong password succeeded")
except smtplib.SMTPAuthenticationError as e:
    assert e.smtp_code == 535, e
PY
    pass "smtplib: PLAIN and LOGIN over STARTTLS log in and send; a wrong password gets 535"

    # swaks: LOGIN over STARTTLS, relayed to the sink
    if ! command -v swaks >/dev/null; then
        echo "note: swaks not installed, not run"
    elif ! perl -MNet::SSLeay -e1 2>/dev/null; then
        echo "note: swaks cannot STARTTLS without Net::SSLeay (libnet-ssleay-perl), not run"
    else
        swaks --server 127.0.0.1 --port "$SUB" --tls --auth LOGIN \
            --auth-user bob@example.test --auth-password hunter2 \
            --from bob@example.test --to swaks@remote.test \
            --header "Subject: swaks-sasl" > "$T/swaks.out" 2>&1 ||
            { cat "$T/swaks.out"; fail "swaks"; }
        grep -q '235 2.7.0 Authentication successful' "$T/swaks.out" || fail "swaks: no 235"
        pass "swaks: AUTH LOGIN over STARTTLS"
    fi

    # every accepted message reaches the sink, Received: says ESMTPSA
    for _ in $(seq 100); do
        [ "$(grep -l 'with ESMTPSA id' "$sinkdir"/sink/* 2>/dev/null | wc -l)" -ge 5 ] && break
        sleep 0.1
    done
    n=$(grep -l 'with ESMTPSA id' "$sinkdir"/sink/* 2>/dev/null | wc -l)
    [ "$n" -ge 5 ] || { ls -l "$sinkdir/sink"; tail -n 30 "$T/maillog"; fail "only $n messages relayed with ESMTPSA"; }
    pass "$n authenticated messages relayed, Received: ... with ESMTPSA"
    grep -l '^	(Authenticated sender: alice@example\.test)$' "$sinkdir"/sink/* >/dev/null ||
        fail "no (Authenticated sender: ...) line (smtpd_sasl_authenticated_header on submission)"
    # submission (header on): sub_mailopt, smtplib twice, swaks; port 25
    # (off): relay_after_auth
    n=$(grep -l 'Authenticated sender' "$sinkdir"/sink/* | wc -l)
    [ "$n" = 4 ] || fail "$n messages with (Authenticated sender: ...), want the 4 from submission"
    pass "smtpd_sasl_authenticated_header: (Authenticated sender: ...) in Received: of the 4 submission messages only"
}

# ---- Postfix --------------------------------------------------------------
PF=
pf_cleanup() {
    if [ -n "$PF" ] && [ -f "$PF/etc/main.cf" ]; then
        postfix -c "$PF/etc" stop >/dev/null 2>&1
        local mp
        mp=$(tr -d ' ' 2>/dev/null < "$PF/spool/pid/master.pid")
        for _ in $(seq 50); do
            [ -n "$mp" ] && kill -0 "$mp" 2>/dev/null || break
            sleep 0.1
        done
        [ -n "$mp" ] && kill -KILL "$mp" 2>/dev/null
    fi
}

# pf_runnable: a Postfix peer can run here, else exit 77
pf_runnable() {
    command -v postfix >/dev/null && [ -x /usr/lib/postfix/sbin/master ] ||
        { echo "skip: postfix not installed"; exit 77; }
    [ "$(id -u)" = 0 ] && id postfix >/dev/null 2>&1 &&
        getent group postdrop >/dev/null ||
        { echo "skip: a Postfix peer needs root, user postfix, group postdrop"; exit 77; }
}

# pf_start: a real Postfix with the settings of main_cf and master_cf
# (PF_CYRUS set: smtpd_sasl_type = cyrus) on $PORT, $SUB, $SUBS
pf_start() {
    PORT=$(free_port)
    PF=$T/pf
    mkdir -p "$PF/etc" "$PF/spool" "$PF/data"
    cat > "$PF/etc/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $PF/spool
data_directory = $PF/data
mail_owner = postfix
setgid_group = postdrop
maillog_file = $PF/maillog
maillog_file_prefixes = $PF
myhostname = mx.example.test
mydomain = example.test
myorigin = local.test
mydestination = local.test, localhost
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 192.0.2.0/24
smtpd_peername_lookup = no
local_recipient_maps =
alias_maps =
alias_database =
relayhost = [127.0.0.1]:9
notify_classes =
smtpd_banner = \$myhostname ESMTP Postfix
EOF
    if [ -n "${PF_CYRUS:-}" ]; then
        main_cf | sed -e 's/^smtpd_sasl_type = .*/smtpd_sasl_type = cyrus/' \
            -e 's/^smtpd_sasl_path = .*/smtpd_sasl_path = smtpd/'
        echo "cyrus_sasl_config_path = $T/sasl"
    else
        main_cf
    fi >> "$PF/etc/main.cf"
    {
        echo "127.0.0.1:$PORT inet n - n - - smtpd"
        master_cf
        cat <<EOF
pickup     unix  n       -       n      60     1       pickup
cleanup    unix  n       -       n      -      0       cleanup
qmgr       unix  n       -       n      300    1       qmgr
tlsmgr     unix  -       -       n      1000?  1       tlsmgr
rewrite    unix  -       -       n      -      -       trivial-rewrite
bounce     unix  -       -       n      -      0       bounce
defer      unix  -       -       n      -      0       bounce
trace      unix  -       -       n      -      0       bounce
verify     unix  -       -       n      -      1       verify
proxymap   unix  -       -       n      -      -       proxymap
smtp       unix  -       -       n      -      -       smtp
showq      unix  n       -       n      -      -       showq
error      unix  -       -       n      -      -       error
retry      unix  -       -       n      -      -       error
discard    unix  -       -       n      -      -       discard
anvil      unix  -       -       n      -      1       anvil
scache     unix  -       -       n      -      1       scache
postlog    unix-dgram n  -       n      -      1       postlogd
EOF
    } > "$PF/etc/master.cf"
    : > "$PF/maillog"
    chown postfix "$PF/maillog"
    postfix -c "$PF/etc" set-permissions create-missing >/dev/null 2>&1 || true
    postfix -c "$PF/etc" check > "$PF/check.err" 2>&1 || {
        cat "$PF/check.err" >&2; fail "postfix check"; }
    postfix -c "$PF/etc" start >/dev/null 2> "$PF/start.err" || {
        cat "$PF/start.err" >&2; fail "postfix start"; }
    ln -sf "$DOVECOT_AUTH_SOCKET" "$PF/spool/private/auth"
    for _ in $(seq 100); do
        $PY -c "import socket; socket.create_connection(('127.0.0.1', $SUBS), 1)" \
            2>/dev/null && break
        sleep 0.1
    done
}

case_postfix() {
    pf_runnable
    T=$(mktemp -d /tmp/mta-test.XXXXXX)
    chmod 755 "$T"
    setup_common
    trap 'pf_cleanup; dovecot_stop; stop_pids; rm -rf "$T"' EXIT
    pf_start
    py sasl_dialogue.py <(dialogues) "smtp=$PORT" "sub=$SUB" "subs=$SUBS" "exc=$EXC" "brk=$BRK" \
        > "$T/postfix.out" || { cat "$T/postfix.out"; fail "sasl_dialogue.py (Postfix)"; }
    if ! diff -u <(expected) "$T/postfix.out"; then
        echo "--- postfix maillog" >&2; tail -n 30 "$PF/maillog" >&2
        grep SASL "$PF/maillog" >&2
        fail "Postfix's replies differ from the texts in this test (- test, + Postfix)"
    fi
    pass "$(dialogues | grep -vc '^#') AUTH dialogues: Postfix 3.7 answers as the texts say (and postern case checks Postern against them)"
    grep -qE 'warning: unknown\[127\.0\.0\.1\]: SASL PLAIN authentication failed: \(reason unavailable\), sasl_username=alice@example\.test$' "$PF/maillog" ||
        { grep SASL "$PF/maillog"; fail "Postfix's failure line is not the one the postern case expects"; }
    grep -qE 'client=unknown\[127\.0\.0\.1\], sasl_method=PLAIN, sasl_username=alice@example\.test, sasl_sender=alice@example\.test$' "$PF/maillog" ||
        { grep client= "$PF/maillog"; fail "Postfix's client= line differs"; }
    check_disconnects "$PF/maillog"
    pass "Postfix's log lines are the ones the postern case expects"
}

# ---- Cyrus SASL -------------------------------------------------------------
# the same services with smtpd_sasl_type = cyrus: libsasl2 with sasldb
# users (auxprop), its configuration in $T/sasl/smtpd.conf
cyrus_dialogues() {
    cat <<'EOF'
cy_plain sub EHLO c.test ; STARTTLS ; EHLO c.test ; AUTH PLAIN b64{\0alice@example.test\0secret} ; MAIL FROM:<alice@example.test> ; RCPT TO:<carol@remote.test>
cy_bad sub EHLO c.test ; STARTTLS ; EHLO c.test ; AUTH PLAIN b64{\0alice@example.test\0wrong}
cy_login sub EHLO c.test ; STARTTLS ; EHLO c.test ; AUTH LOGIN ; b64{bob@example.test} ; b64{hunter2} ; MAIL FROM:<alice@example.test> ; RCPT TO:<carol@remote.test>
cy_badmech sub EHLO c.test ; STARTTLS ; EHLO c.test ; AUTH CRAM-MD5 ; AUTH LOGIN ; *
cy_subs ssl:subs EHLO c.test ; AUTH PLAIN b64{\0bob@example.test\0hunter2}
EOF
}

cyrus_setup() {
    command -v saslpasswd2 >/dev/null || { echo "skip: saslpasswd2 (sasl2-bin) not installed"; exit 77; }
    mkdir -p "$T/sasl"
    cat > "$T/sasl/smtpd.conf" <<EOF
pwcheck_method: auxprop
auxprop_plugin: sasldb
sasldb_path: $T/sasl/sasldb2
mech_list: PLAIN LOGIN
EOF
    echo secret | saslpasswd2 -f "$T/sasl/sasldb2" -p -c -u example.test alice
    echo hunter2 | saslpasswd2 -f "$T/sasl/sasldb2" -p -c -u example.test bob
    chmod -R a+rX "$T/sasl"
    SUB_SASL_PATH=smtpd
}

case_cyrus() {
    mta_setup "smtpd_banner = \$myhostname ESMTP Postfix"
    sed -i 's/^mynetworks = .*/mynetworks = 192.0.2.0\/24/' "$T/etc/main.cf"
    setup_common
    cyrus_setup
    main_cf | sed -e 's/^smtpd_sasl_type = .*/smtpd_sasl_type = cyrus/' \
        -e 's/^smtpd_sasl_path = .*/smtpd_sasl_path = smtpd/' >> "$T/etc/main.cf"
    echo "cyrus_sasl_config_path = $T/sasl" >> "$T/etc/main.cf"
    echo "relayhost = [127.0.0.1]:9" >> "$T/etc/main.cf"
    master_cf >> "$T/etc/master.cf"
    chown -R "$RUN_USER" "$T/sasl" 2>/dev/null
    mta_start
    py sasl_dialogue.py <(cyrus_dialogues) "sub=$SUB" "subs=$SUBS" \
        > "$T/postern.out" || fail "sasl_dialogue.py"
    diff -u <(cyrus_expected) "$T/postern.out" || fail "replies differ from Postfix 3.7's (Cyrus)"
    pass "$(cyrus_dialogues | wc -l) dialogues with Cyrus SASL (sasldb) answered as Postfix 3.7 answers them"
    wait_log 'postfix/submission/smtpd\[[0-9]+\]: warning: unknown\[127\.0\.0\.1\]: SASL PLAIN authentication failed: authentication failure, sasl_username=alice@example\.test$'
    wait_log 'client=unknown\[127\.0\.0\.1\], sasl_method=PLAIN, sasl_username=alice@example\.test$'
    pass "Cyrus: the failure and client= log lines"
    mta_stop
    # Not compared with a live Postfix: Debian's smtpd, started the
    # same way, reads /etc/sasldb2 and offers every mechanism, so it does
    # not see cyrus_sasl_config_path here; the texts are Postfix's
    # (smtpd_sasl_glue.c) with libsasl2's sasl_errstring() reasons
}

cyrus_expected() {
    cat <<'EOF'
cy_plain | 220 mx.example.test ESMTP Postfix | 250 no-AUTH | 220 2.0.0 Ready to start TLS | 250 AUTH PLAIN LOGIN | 235 2.7.0 Authentication successful | 250 2.1.0 Ok | 250 2.1.5 Ok | 221 2.0.0 Bye
cy_bad | 220 mx.example.test ESMTP Postfix | 250 no-AUTH | 220 2.0.0 Ready to start TLS | 250 AUTH PLAIN LOGIN | 535 5.7.8 Error: authentication failed: authentication failure | 221 2.0.0 Bye
cy_login | 220 mx.example.test ESMTP Postfix | 250 no-AUTH | 220 2.0.0 Ready to start TLS | 250 AUTH PLAIN LOGIN | 334 VXNlcm5hbWU6 | 334 UGFzc3dvcmQ6 | 235 2.7.0 Authentication successful | 250 2.1.0 Ok | 553 5.7.1 <alice@example.test>: Sender address rejected: not owned by user bob@example.test | 221 2.0.0 Bye
cy_badmech | 220 mx.example.test ESMTP Postfix | 250 no-AUTH | 220 2.0.0 Ready to start TLS | 250 AUTH PLAIN LOGIN | 535 5.7.8 Error: authentication failed: no mechanism available | 334 VXNlcm5hbWU6 | 501 5.7.0 Authentication aborted | 221 2.0.0 Bye
cy_subs | 220 mx.example.test ESMTP Postfix | 250 AUTH LOGIN | 235 2.7.0 Authentication successful | 221 2.0.0 Bye
EOF
}

# check: the SASL settings of the test are honoured; an unknown type is
# refused
case_check() {
    mta_setup
    DOVECOT_AUTH_PORT=9 SUB=$(free_port) SUBS=$(free_port)
    echo "alice@example.test alice@example.test" > "$T/senders"
    main_cf >> "$T/etc/main.cf"
    master_cf >> "$T/etc/master.cf"
    "${AS[@]}" "$BIN" check -c "$T/etc" --json > "$T/check.json" 2> "$T/check.err"
    $PY - "$T/check.json" <<'PY' || { cat "$T/check.err"; fail "check --json"; }
import json, sys
doc = json.load(open(sys.argv[1]))
for n in doc['notes']:
    p = n.get('parameter') or ''
    if 'sasl' in p or p in ('smtpd_sender_login_maps', 'smtpd_tls_auth_only',
                            'smtpd_tls_wrappermode'):
        assert n['status'] == 'honoured', n
PY
    grep -E 'sasl|login_maps|auth_only' "$T/check.err" && fail "check reports a SASL setting"
    pass "check: the SASL settings of Debian's submission services are honoured"
    echo "smtpd_sasl_type = cyrus" >> "$T/etc/main.cf"
    "${AS[@]}" "$BIN" check -c "$T/etc" 2> "$T/check.err" ||
        { cat "$T/check.err"; fail "check refused smtpd_sasl_type = cyrus"; }
    echo "smtpd_sasl_type = saslauthd" >> "$T/etc/main.cf"
    line=$(grep -n '^smtpd_sasl_type = saslauthd' "$T/etc/main.cf" | cut -d: -f1)
    "${AS[@]}" "$BIN" check -c "$T/etc" 2> "$T/check.err" && fail "check accepted smtpd_sasl_type = saslauthd"
    grep -qE "^postern: error: $T/etc/main.cf:$line: invalid smtpd_sasl_type value: saslauthd$" \
        "$T/check.err" || { cat "$T/check.err"; fail "the refusal names main.cf:$line"; }
    pass "check: cyrus accepted, smtpd_sasl_type = saslauthd refused at main.cf:$line"
}

case "$CASE" in
postern | postfix | check | cyrus) "case_$CASE" ;;
*) fail "unknown case $CASE" ;;
esac
