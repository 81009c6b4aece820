#!/usr/bin/env bash
# mta_smtp3.sh - end-to-end tests of the SMTP client, part 3: SMTP AUTH
# (smtp_sasl_*), smtp_fallback_relay, smtp_skip_5xx_greeting and the
# EHLO/HELO choice.
#
#   mta_smtp3.sh BIN CASE
#
# Peers run on loopback only: testdata/mta_smtp/pyauth.py (an SMTP
# server with AUTH PLAIN/LOGIN that checks the credentials and records
# whether STARTTLS came first), smtp-sink, and for the MX case a local
# unbound serving .test names (everything else refused). Every process
# the test starts is stopped from the EXIT trap. Exit 77 (skipped) when
# a tool is missing.
set -u
BIN=$1
CASE=$2
. "$(dirname "$0")/mta_lib.sh"
. "$(dirname "$0")/mta_smtp_lib.sh"

# passwd LINE...: the smtp_sasl_password_maps file, mode 600 (owned by
# the user the test instance runs as: root's in a real installation)
passwd() {
    echo "smtp_sasl_password_maps = texthash:$T/etc/sasl_passwd" >> "$T/etc/main.cf"
    printf '%s\n' "$@" > "$T/etc/sasl_passwd"
    chmod 600 "$T/etc/sasl_passwd"
    [ "$(id -u)" = 0 ] && chown "$RUN_USER" "$T/etc/sasl_passwd"
    return 0
}

# pyauth NAME ADDR PORT [pyauth.py options]: log in $T/NAME/log
pyauth() {
    mkdir -p "$T/$1"
    $PY "$DATA/pyauth.py" "$2" "$3" "$T/$1" "${@:4}" 2>>"$T/$1.err" &
    PIDS+=($!)
    wait_port "$2" "$3"
    # wait_port's probe connection left a "greet" line: start clean
    sleep 0.2
    : > "$T/$1/log"
}

# srvlog NAME PATTERN [COUNT]: wait for COUNT lines in the server's log
srvlog() {
    local i
    for i in $(seq 200); do
        [ "$(grep -cE -- "$2" "$T/$1/log" 2>/dev/null)" -ge "${3:-1}" ] && return 0
        sleep 0.05
    done
    echo "--- $1/log" >&2; cat "$T/$1/log" >&2
    fail "no /$2/ in the log of $1"
}

A='127\.0\.0\.1\[127\.0\.0\.1\]'

# no_secret: the password (and its base64 forms) never reach the maillog
no_secret() {
    local p
    for p in s3cret-pw "$(printf 's3cret-pw' | base64)" \
        "$(printf '\0user\0s3cret-pw' | base64)"; do
        grep -qF -- "$p" "$T/maillog" && fail "secret in the maillog"
    done
    return 0
}

# ---- SMTP AUTH ---------------------------------------------------------------

# PLAIN by default; LOGIN through smtp_sasl_mechanism_filter; the lookup
# by "[host]:port" nexthop, and per sender with
# smtp_sender_dependent_authentication
case_auth_ok() {
    P1=$(free_port) P2=$(free_port) P3=$(free_port)
    setup "smtp_sasl_auth_enable = yes" \
        "smtp_sasl_security_options = noanonymous"
    passwd "[127.0.0.1]:$P1 user:s3cret-pw" "[127.0.0.1]:$P2 user:s3cret-pw" \
        "boss@local.test user:s3cret-pw" "[127.0.0.1]:$P3 user:wrong"
    transport slogin -o smtp_sasl_mechanism_filter=login
    transport sdep -o smtp_sender_dependent_authentication=yes
    route plain.test "smtp:[127.0.0.1]:$P1"
    route login.test "slogin:[127.0.0.1]:$P2"
    route dep.test "sdep:[127.0.0.1]:$P3"
    pyauth s1 127.0.0.1 "$P1" --pass s3cret-pw
    pyauth s2 127.0.0.1 "$P2" --pass s3cret-pw
    pyauth s3 127.0.0.1 "$P3" --pass s3cret-pw
    mta_start
    send alice@local.test 1 u@plain.test >/dev/null || fail "send plain"
    wait_log "to=<u@plain\.test>, relay=$A:$P1, $LOGRE, dsn=2\.0\.0, status=sent \(250 2\.0\.0 Ok: queued\)$"
    srvlog s1 '^auth conn=[0-9]+ mech=PLAIN user=user tls=no result=ok$'
    srvlog s1 '^msg conn=[0-9]+ helo=EHLO auth=user tls=no rcpts=1$'
    pass "AUTH PLAIN with the credentials of [127.0.0.1]:port, then the mail"
    send alice@local.test 1 u@login.test >/dev/null || fail "send login"
    wait_log "to=<u@login\.test>, relay=$A:$P2, $LOGRE, dsn=2\.0\.0, status=sent"
    srvlog s2 '^auth conn=[0-9]+ mech=LOGIN user=user tls=no result=ok$'
    srvlog s2 '^msg conn=[0-9]+ helo=EHLO auth=user'
    pass "smtp_sasl_mechanism_filter = login: AUTH LOGIN"
    send boss@local.test 1 u@dep.test >/dev/null || fail "send dep"
    wait_log "to=<u@dep\.test>, relay=$A:$P3, $LOGRE, dsn=2\.0\.0, status=sent"
    srvlog s3 '^msg conn=[0-9]+ helo=EHLO auth=user'
    grep -q 'result=bad' "$T/s3/log" && fail "the sender's entry wins over the nexthop's"
    pass "smtp_sender_dependent_authentication: the sender's credentials first"
    no_secret
    pass "no secret in the maillog"
}

# wrong password: deferred with the server's reply, Postfix's words
case_auth_fail() {
    P1=$(free_port)
    setup "smtp_sasl_auth_enable = yes" \
        "smtp_sasl_security_options = noanonymous" \
        "relayhost = [127.0.0.1]:$P1"
    passwd "[127.0.0.1]:$P1 user:s3cret-pw"
    pyauth s1 127.0.0.1 "$P1" --pass other
    mta_start
    send alice@local.test 1 u@example.net >/dev/null || fail "send"
    wait_log "to=<u@example\.net>, relay=$A:$P1, $LOGRE, dsn=4\.7\.8, status=deferred \(SASL authentication failed; server $A said: 535 5\.7\.8 Error: authentication failed: authentication failure\)$"
    srvlog s1 'result=bad'
    grep -q '^msg' "$T/s1/log" && fail "no mail after a failed AUTH"
    as_user "$BIN" queue -c "$T/etc" list | grep -q 'SASL authentication failed' \
        || fail "deferred in the queue with the reason"
    pass "wrong password: deferred (4.7.8) with the server's reply"
    no_secret
    pass "no secret in the maillog"
}

# smtp_sasl_security_options = noplaintext (the default) and no TLS:
# Postfix's "no mechanism available" deferral, nothing sent; no
# credentials for a server: the mail goes without AUTH
case_auth_noplain() {
    P1=$(free_port) P2=$(free_port) P3=$(free_port) P4=$(free_port)
    setup "smtp_sasl_auth_enable = yes"
    passwd "[127.0.0.1]:$P1 user:s3cret-pw" "[127.0.0.1]:$P3 user:s3cret-pw" \
        "[127.0.0.1]:$P4 user:s3cret-pw"
    transport cram -o smtp_sasl_mechanism_filter=cram-md5 -o smtp_sasl_security_options=
    route np.test "smtp:[127.0.0.1]:$P1"
    route nocred.test "smtp:[127.0.0.1]:$P2"
    route filter.test "cram:[127.0.0.1]:$P3"
    route noauth.test "smtp:[127.0.0.1]:$P4"
    pyauth s1 127.0.0.1 "$P1" --pass s3cret-pw
    pyauth s2 127.0.0.1 "$P2" --pass s3cret-pw
    pyauth s3 127.0.0.1 "$P3" --pass s3cret-pw
    pyauth s4 127.0.0.1 "$P4" --mechs ""
    mta_start
    send alice@local.test 1 u@np.test >/dev/null || fail "send np"
    wait_log "to=<u@np\.test>, relay=$A:$P1, $LOGRE, dsn=4\.7\.0, status=deferred \(SASL authentication failed; cannot authenticate to server $A: no mechanism available\)$"
    wait_log "warning: SASL authentication failure: No worthy mechs found$"
    grep -q '^auth\|^msg' "$T/s1/log" && { cat "$T/s1/log"; fail "no AUTH, no mail over plain text"; }
    pass "noplaintext without TLS: no AUTH in plain text, deferred (4.7.0) as Postfix"
    send alice@local.test 1 u@nocred.test >/dev/null || fail "send nocred"
    wait_log "to=<u@nocred\.test>, relay=$A:$P2, $LOGRE, dsn=2\.0\.0, status=sent"
    srvlog s2 '^msg conn=[0-9]+ helo=EHLO auth=none tls=no'
    pass "no credentials for the server: sent without AUTH"
    send alice@local.test 1 u@noauth.test >/dev/null || fail "send noauth"
    wait_log "to=<u@noauth\.test>, relay=$A:$P4, $LOGRE, dsn=2\.0\.0, status=sent"
    srvlog s4 '^msg conn=[0-9]+ helo=EHLO auth=none'
    pass "credentials, but the server offers no AUTH: sent without AUTH"
    send alice@local.test 1 u@filter.test >/dev/null || fail "send filter"
    wait_log "to=<u@filter\.test>, relay=$A:$P3, $LOGRE, dsn=4\.7\.0, status=deferred \(SASL authentication failed: server $A offered no compatible authentication mechanisms for this type of connection security\)$"
    wait_log "warning: $A:$P3 offered no supported AUTH mechanisms: 'PLAIN LOGIN'$"
    grep -q '^auth\|^msg' "$T/s3/log" && fail "no AUTH, no mail after the filter"
    pass "smtp_sasl_mechanism_filter leaves nothing: Postfix's warning, deferred (4.7.0)"
}

# STARTTLS first, then AUTH (smtp_sasl_tls_security_options allows
# plaintext mechanisms over TLS only)
case_auth_tls() {
    command -v openssl >/dev/null || { echo "skip: openssl not installed"; exit 77; }
    P1=$(free_port)
    setup "smtp_sasl_auth_enable = yes" \
        "smtp_sasl_tls_security_options = noanonymous" \
        "smtp_tls_security_level = encrypt" \
        "relayhost = [127.0.0.1]:$P1"
    passwd "[127.0.0.1]:$P1 user:s3cret-pw"
    mkdir -p "$T/pki"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$T/pki/server.key" -out "$T/pki/server.pem" -days 2 \
        -subj "/CN=smarthost.example.test" >"$T/openssl.log" 2>&1 \
        || { cat "$T/openssl.log" >&2; fail "openssl: test certificate"; }
    pyauth s1 127.0.0.1 "$P1" --pass s3cret-pw --cert "$T/pki/server.pem" --key "$T/pki/server.key"
    mta_start
    send alice@local.test 1 u@example.net >/dev/null || fail "send"
    wait_log "to=<u@example\.net>, relay=$A:$P1, $LOGRE, dsn=2\.0\.0, status=sent"
    srvlog s1 '^auth conn=[0-9]+ mech=PLAIN user=user tls=yes result=ok$'
    grep -q 'tls=no' "$T/s1/log" && fail "nothing before STARTTLS"
    srvlog s1 '^msg conn=[0-9]+ helo=EHLO auth=user tls=yes'
    pass "STARTTLS, then AUTH PLAIN (allowed over TLS only), then the mail"
    no_secret
}

# ---- fallback relay, 5xx greeting, EHLO ----------------------------------------

case_fallback() {
    DOWN=$(free_port) UP=$(free_port) G4=$(free_port) DOWN2=$(free_port)
    G5=$(free_port)
    # (a relayhost or fallback relay that is not found is a "configuration
    # problem" in Postfix; a 5xx greeting from it bounces)
    setup "smtp_fallback_relay = [127.0.0.1]:$DOWN2, [127.0.0.1]:$UP" \
        "relayhost = [nohost.test]:$G5" "smtp_skip_5xx_greeting = no"
    transport nofb -o smtp_fallback_relay=
    transport badfb -o "smtp_fallback_relay=[nohost.test]:$G5"
    transport fb5 -o "smtp_fallback_relay=[127.0.0.1]:$G5"
    route fb5.test "fb5:[127.0.0.1]:$DOWN"
    echo "other.test. A 127.0.0.1" > "$T/dns.zone"
    unbound_start
    route down.test "smtp:[127.0.0.1]:$DOWN"
    route greet4.test "smtp:[127.0.0.1]:$G4"
    route plain.test "nofb:[127.0.0.1]:$DOWN"
    route badfb.test "badfb:[127.0.0.1]:$DOWN"
    route example.net "nofb"
    sink fb "127.0.0.1:$UP"
    pyauth g4 127.0.0.1 "$G4" --greet "421 4.3.2 Service shutting down"
    pyauth g5 127.0.0.1 "$G5" --greet "554 5.3.2 No service here"
    mta_start
    send alice@local.test 1 u@down.test >/dev/null || fail "send down"
    wait_log "to=<u@down\.test>, relay=$A:$UP, $LOGRE, dsn=2\.0\.0, status=sent"
    # Postfix logs each server that failed before the one that took it
    grep -qE "postfix/smtp\[[0-9]+\]: connect to $A:$DOWN: Connection refused$" "$T/maillog" &&
        grep -qE "postfix/smtp\[[0-9]+\]: connect to $A:$DOWN2: Connection refused$" "$T/maillog" \
        || { grep 'smtp\[' "$T/maillog"; fail "the nexthop, then the first fallback relay tried"; }
    pass "nexthop down: the second fallback relay takes the mail (the first is down too)"
    send alice@local.test 1 u@greet4.test >/dev/null || fail "send greet4"
    wait_log "to=<u@greet4\.test>, relay=$A:$UP, $LOGRE, dsn=2\.0\.0, status=sent"
    srvlog g4 '^greet conn='
    grep -qE "postfix/smtp\[[0-9]+\]: [0-9A-F]+: host $A refused to talk to me: 421 4\.3\.2 Service shutting down$" "$T/maillog" \
        || { grep 'smtp\[' "$T/maillog"; fail "the 4xx greeting logged with the queue id"; }
    pass "4xx greeting: logged, and the fallback relay takes the mail"
    [ "$(sink_count fb)" = 2 ] || fail "two messages at the fallback relay"
    send alice@local.test 1 u@plain.test >/dev/null || fail "send plain"
    wait_log "to=<u@plain\.test>, relay=none, $LOGRE, dsn=4\.4\.1, status=deferred \(connect to $A:$DOWN: Connection refused\)$"
    pass "without smtp_fallback_relay: deferred"
    send alice@local.test 1 u@badfb.test >/dev/null || fail "send badfb"
    wait_log "to=<u@badfb\.test>, relay=none, $LOGRE, dsn=4\.3\.5, status=deferred \(Host or domain name not found\. Name service error for name=nohost\.test type=A: Host not found\)$"
    wait_log "warning: smtp_fallback_relay configuration problem$"
    pass "fallback relay not found: a configuration problem, deferred (4.3.5)"
    send alice@local.test 1 u@example.net >/dev/null || fail "send relayhost"
    wait_log "to=<u@example\.net>, relay=none, $LOGRE, dsn=4\.3\.5, status=deferred \(Host or domain name not found\. Name service error for name=nohost\.test type=A: Host not found\)$"
    wait_log "warning: relayhost configuration problem$"
    pass "relayhost not found: a configuration problem, deferred (4.3.5)"
    send alice@local.test 1 u@fb5.test >/dev/null || fail "send fb5"
    wait_log "to=<u@fb5\.test>, relay=$A:$G5, $LOGRE, dsn=5\.3\.2, status=bounced \(host $A refused to talk to me: 554 5\.3\.2 No service here\)$"
    pass "5xx greeting from the fallback relay (skip_5xx no): bounced, as Postfix 3.7 does"
    # every fallback down as well: deferred with the last reason
    stop_pids; PIDS=()
    send alice@local.test 1 v@down.test >/dev/null || fail "send down 2"
    wait_log "to=<v@down\.test>, relay=none, $LOGRE, dsn=4\.4\.1, status=deferred \(connect to $A:$UP: Connection refused\)$"
    pass "fallback relays down too: deferred"
}

# MX via unbound: the first MX greets with 554, the next takes the mail
# (smtp_skip_5xx_greeting = yes, the default); with "no" it bounces.
# smtp_defer_if_no_mx_address_found too.
case_skip5xx() {
    SP=$(free_port)
    setup "smtp_connection_cache_on_demand = no"
    transport noskip -o smtp_skip_5xx_greeting=no
    transport defermx -o smtp_defer_if_no_mx_address_found=yes
    route rej.test "smtp:rej.test:$SP"
    route bounce.test "noskip:bounce.test:$SP"
    route deadmx.test "defermx:deadmx.test:$SP"
    route nx.test "defermx:nx.test:$SP"
    cat > "$T/dns.zone" <<Z
rej.test. MX 10 bad.rej.test.
rej.test. MX 20 good.rej.test.
bad.rej.test. A 127.0.0.2
good.rej.test. A 127.0.0.1
bounce.test. MX 10 bad.bounce.test.
bounce.test. MX 20 good.bounce.test.
bad.bounce.test. A 127.0.0.2
good.bounce.test. A 127.0.0.1
deadmx.test. MX 10 nowhere.deadmx.test.
Z
    unbound_start
    sink good "127.0.0.1:$SP"
    pyauth bad 127.0.0.2 "$SP" --greet "554 5.3.2 No service here"
    mta_start
    send alice@local.test 1 u@rej.test >/dev/null || fail "send rej"
    wait_log "to=<u@rej\.test>, relay=good\.rej\.test\[127\.0\.0\.1\]:$SP, $LOGRE, dsn=2\.0\.0, status=sent"
    srvlog bad '^greet conn='
    pass "5xx greeting from the first MX: the next MX takes the mail"
    send alice@local.test 1 u@bounce.test >/dev/null || fail "send bounce"
    wait_log "to=<u@bounce\.test>, relay=bad\.bounce\.test\[127\.0\.0\.2\]:$SP, $LOGRE, dsn=5\.3\.2, status=bounced \(host bad\.bounce\.test\[127\.0\.0\.2\] refused to talk to me: 554 5\.3\.2 No service here\)$"
    [ "$(sink_count good)" = 1 ] || fail "only the first message at the good MX"
    pass "smtp_skip_5xx_greeting = no: bounced at the 5xx greeting"
    send alice@local.test 1 u@deadmx.test >/dev/null || fail "send deadmx"
    wait_log "to=<u@deadmx\.test>, relay=none, $LOGRE, dsn=4\.4\.4, status=deferred \(Host or domain name not found\. Name service error for name=nowhere\.deadmx\.test type=A: Host not found\)$"
    send alice@local.test 1 u@nx.test >/dev/null || fail "send nx"
    wait_log "to=<u@nx\.test>, relay=none, $LOGRE, dsn=5\.4\.4, status=bounced"
    pass "smtp_defer_if_no_mx_address_found = yes: MX host without address defers, no domain still bounces"
}

# smtp_address_preference: a dual-stack host (A and AAAA on loopback),
# a sink on each address; the preferred family takes the mail
case_addrpref() {
    $PY -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null \
        || { echo "skip: no IPv6 loopback"; exit 77; }
    SP=$(free_port)
    setup "inet_protocols = all" "smtp_connection_cache_on_demand = no"
    transport six -o smtp_address_preference=ipv6
    transport four -o smtp_address_preference=ipv4
    route six.test "six:dual.test:$SP"
    route four.test "four:dual.test:$SP"
    cat > "$T/dns.zone" <<Z
dual.test. A 127.0.0.1
dual.test. AAAA ::1
Z
    unbound_start
    sink s4 "127.0.0.1:$SP"
    mkdir -p "$T/s6" && chmod 777 "$T/s6"
    u=(); [ "$(id -u)" = 0 ] && u=(-u nobody)
    "$SINK" "${u[@]}" -d "$T/s6/%M." "[::1]:$SP" 256 2>>"$T/s6.err" &
    PIDS+=($!)
    sleep 0.3
    mta_start
    for i in 1 2 3; do
        send alice@local.test 1 u$i@six.test >/dev/null || fail "send six"
        send alice@local.test 1 u$i@four.test >/dev/null || fail "send four"
    done
    wait_log "status=sent" 6
    [ "$(count_log "to=<u[0-9]@six\.test>, relay=dual\.test\[::1\]:$SP, .*status=sent")" = 3 ] \
        || { grep 'smtp\[' "$T/maillog"; fail "ipv6 preferred: all three over ::1"; }
    [ "$(count_log "to=<u[0-9]@four\.test>, relay=dual\.test\[127\.0\.0\.1\]:$SP, .*status=sent")" = 3 ] \
        || { grep 'smtp\[' "$T/maillog"; fail "ipv4 preferred: all three over 127.0.0.1"; }
    pass "smtp_address_preference ipv6 / ipv4: that family first"
}

# smtp_never_send_ehlo, smtp_always_send_ehlo = no with and without
# ESMTP in the greeting
case_ehlo() {
    P1=$(free_port) P2=$(free_port) P3=$(free_port)
    setup
    transport never -o smtp_never_send_ehlo=yes
    transport notalways -o smtp_always_send_ehlo=no
    route never.test "never:[127.0.0.1]:$P1"
    route plain.test "notalways:[127.0.0.1]:$P2"
    route esmtp.test "notalways:[127.0.0.1]:$P3"
    pyauth s1 127.0.0.1 "$P1" --mechs ""
    pyauth s2 127.0.0.1 "$P2" --mechs "" --greet "220 pyauth ready"
    pyauth s3 127.0.0.1 "$P3" --mechs ""
    mta_start
    send alice@local.test 1 u@never.test u@plain.test u@esmtp.test >/dev/null || fail "send"
    wait_log "status=sent" 3
    srvlog s1 '^msg conn=[0-9]+ helo=HELO'
    pass "smtp_never_send_ehlo = yes: HELO"
    srvlog s2 '^msg conn=[0-9]+ helo=HELO'
    srvlog s3 '^msg conn=[0-9]+ helo=EHLO'
    pass "smtp_always_send_ehlo = no: EHLO only when the greeting says ESMTP"
}

case "$CASE" in
auth_ok | auth_fail | auth_noplain | auth_tls | fallback | skip5xx | ehlo | addrpref) "case_$CASE" ;;
*) echo "unknown case $CASE" >&2; exit 2 ;;
esac
