#!/bin/bash
# maps_ldap.sh BIN CASE - ldap: tables against a real OpenLDAP slapd,
# started here as an unprivileged instance (mdb backend, an ldapi://
# socket and a loopback port under the test directory), loaded with
# users, aliases and groups, stopped at the end.
#   compare  postern map query and Postfix's postmap -q agree on many
#            keys and .cf variants (filters, bases, scopes, formats,
#            groups by DN and by URL, leaf/terminal attributes, limits)
#   down     a server that cannot be reached is an error (exit 2), never
#            "not found"; the connection comes back after a restart
#   e2e      alias_maps from LDAP delivering mail; slapd stopped: 451
#            4.3.0 at RCPT; restarted: delivered
set -u
BIN=$1
CASE=$2
. "$(dirname "${BASH_SOURCE[0]}")/mta_lib.sh"

for p in slapd slapadd; do
    command -v $p >/dev/null || [ -x /usr/sbin/$p ] ||
        { echo "skip: $p is not installed"; exit 77; }
done
SLAPD=$(command -v slapd || echo /usr/sbin/slapd)
SLAPADD=$(command -v slapadd || echo /usr/sbin/slapadd)
[ -e /usr/lib/ldap/back_mdb.so ] || { echo "skip: slapd's mdb backend is not installed"; exit 77; }

SLAPD_PID=
slapd_stop() {
    if [ -n "$SLAPD_PID" ]; then
        kill "$SLAPD_PID" 2>/dev/null
        for _ in $(seq 50); do kill -0 "$SLAPD_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$SLAPD_PID" 2>/dev/null
        wait "$SLAPD_PID" 2>/dev/null
        SLAPD_PID=
    fi
}
on_exit() { slapd_stop; cleanup_instance; }

mta_setup "alias_maps = ldap:\$config_directory/aliases.cf, texthash:\$config_directory/aliases"
trap on_exit EXIT
L=$T/ldap
mkdir -p "$L/db" "$T/pf"
LPORT=$(free_port)
SOCK=$L/ldapi
SOCK_URL=ldapi://$(printf '%s' "$SOCK" | sed 's|/|%2F|g')
BASE=dc=example,dc=test

cat > "$L/postern.schema" <<'EOF'
attributetype ( 1.3.6.1.4.1.99999.1.1 NAME 'mailacceptinggeneralid' EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 )
attributetype ( 1.3.6.1.4.1.99999.1.2 NAME 'maildrop' EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 )
attributetype ( 1.3.6.1.4.1.99999.1.3 NAME 'mailterm' EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 )
attributetype ( 1.3.6.1.4.1.99999.1.4 NAME 'mailgroupmember' SUP distinguishedName )
attributetype ( 1.3.6.1.4.1.99999.1.5 NAME 'mailgroupurl' EQUALITY caseExactMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 )
objectclass ( 1.3.6.1.4.1.99999.2.1 NAME 'postfixUser' SUP top AUXILIARY MAY ( mailacceptinggeneralid $ maildrop $ mailterm $ mailgroupmember $ mailgroupurl $ mail ) )
EOF
# a CA and a server certificate for 127.0.0.1, for ldaps:// and StartTLS
TLSPORT=$(free_port)
TLSCONF=
if command -v openssl >/dev/null &&
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=test-ca \
        -keyout "$L/ca.key" -out "$L/ca.pem" >/dev/null 2>&1 &&
    openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 \
        -keyout "$L/srv.key" -out "$L/srv.csr" >/dev/null 2>&1 &&
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > "$L/ext" &&
    openssl x509 -req -in "$L/srv.csr" -CA "$L/ca.pem" -CAkey "$L/ca.key" \
        -CAcreateserial -days 2 -extfile "$L/ext" -out "$L/srv.pem" >/dev/null 2>&1 &&
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=other-ca \
        -keyout "$L/other.key" -out "$L/other.pem" >/dev/null 2>&1; then
    TLSCONF="TLSCACertificateFile $L/ca.pem
TLSCertificateFile $L/srv.pem
TLSCertificateKeyFile $L/srv.key"
fi

cat > "$L/slapd.conf" <<EOF
${TLSCONF}
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include $L/postern.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile $L/slapd.pid
allow bind_v2
database mdb
maxsize 10485760
suffix "$BASE"
rootdn "cn=admin,$BASE"
rootpw secret
directory $L/db
access to attrs=userPassword by anonymous auth by * none
access to dn.exact="uid=secret,ou=people,$BASE" by users read by * none
access to * by * read
EOF

# users, aliases, groups (by DN, by URL, nested, looping, dangling)
person() { # uid [extra lines]
    local uid=$1
    shift
    printf 'dn: uid=%s,ou=people,%s\nobjectClass: inetOrgPerson\nobjectClass: postfixUser\nuid: %s\ncn: %s\nsn: %s\n' \
        "${uid//,/\\2C}" "$BASE" "$uid" "$uid" "$uid"
    printf '%s\n' "$@"
    echo
}
group() { # cn [extra lines]
    local cn=$1
    shift
    printf 'dn: cn=%s,ou=groups,%s\nobjectClass: groupOfNames\nobjectClass: postfixUser\ncn: %s\nmember: cn=nobody\n' \
        "$cn" "$BASE" "$cn"
    printf '%s\n' "$@"
    echo
}
{
    printf 'dn: %s\nobjectClass: dcObject\nobjectClass: organization\no: Example\ndc: example\n\n' "$BASE"
    printf 'dn: ou=people,%s\nobjectClass: organizationalUnit\nou: people\n\n' "$BASE"
    printf 'dn: ou=groups,%s\nobjectClass: organizationalUnit\nou: groups\n\n' "$BASE"
    printf 'dn: cn=binder,%s\nobjectClass: person\ncn: binder\nsn: binder\nuserPassword: pw\n\n' "$BASE"
    person alice "mail: alice@example.test" "mailacceptinggeneralid: alice@example.test" \
        "mailacceptinggeneralid: a.l.ice@example.test" "mailacceptinggeneralid: alice@sub.example.test" \
        "maildrop: alice@local.test"
    person bob "mail: bob@example.test" "mailacceptinggeneralid: bob@example.test" \
        "maildrop: bob@local.test" "maildrop: bob@elsewhere.test"
    person carol "mail: carol@example.test" "mailacceptinggeneralid: carol@example.test" \
        "maildrop: carol@local.test" "mailterm: carol-term@local.test"
    person weird "mail: we(ird)*x@example.test" "mailacceptinggeneralid: we(ird)*x@example.test" \
        "maildrop: weird@local.test"
    person 'dan,jr' "mail: dan@example.test" "mailacceptinggeneralid: dan@example.test" \
        "maildrop: dan@local.test"
    person secret "mailacceptinggeneralid: secret@example.test" "maildrop: secret@local.test"
    person empty "mail: empty@example.test" "mailacceptinggeneralid: empty@example.test"
    group team "mailacceptinggeneralid: team@example.test" \
        "mailgroupmember: uid=alice,ou=people,$BASE" "mailgroupmember: uid=bob,ou=people,$BASE"
    group big "mailacceptinggeneralid: big@example.test" "maildrop: big-owner@local.test" \
        "mailgroupmember: cn=team,ou=groups,$BASE" "mailgroupmember: uid=carol,ou=people,$BASE"
    group dyn "mailacceptinggeneralid: dyn@example.test" \
        "mailgroupurl: ldap:///ou=people,$BASE??one?(mail=*@example.test)"
    group dynattr "mailacceptinggeneralid: dynattr@example.test" \
        "mailgroupurl: ldap:///ou=people,$BASE?mail?one?(uid=bob)"
    group loop "mailacceptinggeneralid: loop@example.test" \
        "mailgroupmember: cn=loop,ou=groups,$BASE"
    group dangling "mailacceptinggeneralid: dangling@example.test" "maildrop: d@local.test" \
        "mailgroupmember: uid=ghost,ou=people,$BASE"
    group e2e "mailacceptinggeneralid: e2e" "maildrop: alice" "maildrop: bob"
    person multi1 "mailacceptinggeneralid: multi@example.test" "maildrop: m1@local.test"
    person multi2 "mailacceptinggeneralid: multi@example.test" "maildrop: m2@local.test"
} > "$L/data.ldif"
chown -R "$RUN_USER" "$T"
as_user "$SLAPADD" -q -f "$L/slapd.conf" -l "$L/data.ldif" > "$L/slapadd.out" 2>&1 ||
    { cat "$L/slapadd.out"; echo "skip: slapadd cannot load the fixtures"; exit 77; }

slapd_start() {
    rm -f "$SOCK"
    # not through as_user: $! must be slapd itself, not a subshell
    "${AS[@]}" "$SLAPD" -f "$L/slapd.conf" \
        -h "$SOCK_URL ldap://127.0.0.1:$LPORT/${TLSCONF:+ ldaps://127.0.0.1:$TLSPORT/}" -d 0 \
        >> "$L/slapd.log" 2>&1 &
    SLAPD_PID=$!
    for _ in $(seq 100); do
        [ -S "$SOCK" ] && $PY -c "import socket; socket.create_connection(('127.0.0.1', $LPORT), 1)" \
            2>/dev/null && return 0
        kill -0 "$SLAPD_PID" 2>/dev/null || break
        sleep 0.1
    done
    cat "$L/slapd.log"
    echo "skip: slapd does not start here"
    exit 77
}
slapd_start

# Postfix's own postmap reads this directory's main.cf
printf 'compatibility_level = 3.6\n' > "$T/pf/main.cf"
PF=/usr/sbin/postmap
pf_ok() { [ -x $PF ] && grep -q '^ldap' /etc/postfix/dynamicmaps.cf 2>/dev/null; }

# cf NAME LINES...: a .cf file (server on the socket unless given)
cf() {
    local n=$1
    shift
    printf '%s\n' "$@" > "$L/$n.cf"
    grep -q '^server_host' "$L/$n.cf" || echo "server_host = $SOCK_URL" >> "$L/$n.cf"
}

# q TOOL CF KEY: "rc value" with rc 0 found, 1 not found, 2 error
q() {
    local out rc
    if [ "$1" = postfix ]; then
        out=$(MAIL_CONFIG=$T/pf $PF -q "$3" "ldap:$L/$2.cf" 2> "$L/err")
        rc=$?
        [ $rc -ne 0 ] && grep -q 'fatal\|error' "$L/err" && rc=2
    else
        out=$(as_user "$BIN" map query "ldap:$L/$2.cf" "$3" 2> "$L/err")
        rc=$?
    fi
    echo "$rc $out"
}

# same CF KEY [WANT]: both tools agree (and on WANT when given)
N=0
same() {
    local a b
    a=$(q postern "$1" "$2")
    if pf_ok; then
        b=$(q postfix "$1" "$2")
        [ "$a" = "$b" ] || { cat "$L/err"; fail "$1 '$2': postern [$a], postmap [$b]"; }
    fi
    if [ $# -ge 3 ]; then [ "$a" = "$3" ] || { cat "$L/err"; fail "$1 '$2': [$a], want [$3]"; }; fi
    N=$((N + 1))
    [ -n "${VERBOSE:-}" ] && echo "$1 $2 -> $a"
}

case_compare() {
    cf plain "search_base = $BASE" "version = 3" "result_attribute = maildrop"
    same plain alice@example.test "0 alice@local.test"
    same plain A.L.Ice@EXAMPLE.test "0 alice@local.test"
    same plain bob@example.test "0 bob@local.test,bob@elsewhere.test"
    same plain nobody@example.test "1 "
    same plain '*@example.test' "1 "
    same plain 'we(ird)*x@example.test' "0 weird@local.test"
    same plain 'al*' "1 "
    same plain empty@example.test "1 "
    same plain multi@example.test
    same plain carol@example.test "0 carol@local.test"

    # the default version 2 bind (slapd allows it here), a host:port
    cf v2 "server_host = 127.0.0.1:$LPORT" "search_base = $BASE" "result_attribute = maildrop"
    same v2 alice@example.test "0 alice@local.test"
    # server_port for a bare host name; fail-over from a dead server
    cf port "server_host = 127.0.0.1" "server_port = $LPORT" "version = 3" "search_base = $BASE" \
        "result_attribute = maildrop"
    same port bob@example.test "0 bob@local.test,bob@elsewhere.test"
    cf failover "server_host = ldap://127.0.0.1:9/ ldap://127.0.0.1:$LPORT/" "version = 3" \
        "search_base = $BASE" "result_attribute = maildrop" "timeout = 3"
    same failover alice@example.test "0 alice@local.test"

    # %u %d %1 %2 in the filter, result_format with %S %U %D %d %u
    cf parts "search_base = $BASE" "version = 3" "query_filter = (mail=%u@%2.%1)" \
        "result_attribute = maildrop" "result_format = <%s> %u %d for %S %U %D"
    same parts alice@example.test "0 <alice@local.test> alice local.test for alice@example.test alice example.test"
    same parts alice "1 "
    same parts alice@test "1 "
    same parts alice@example..test
    same parts 'dan@example.test'
    cf userpart "search_base = $BASE" "version = 3" "query_filter = (uid=%u)" \
        "result_attribute = mail"
    same userpart alice@whatever.test "0 alice@example.test"
    same userpart alice "0 alice@example.test"
    same userpart @example.test "1 "
    # the domain list: other domains are not searched
    cf dom "search_base = $BASE" "version = 3" "result_attribute = maildrop" \
        "domain = example.test, other.test"
    same dom alice@example.test "0 alice@local.test"
    same dom alice@sub.example.test "1 "
    same dom alice "1 "

    # %1 %2 of the key in a result, result_filter (the old name), a
    # domain list read from a table, a list of servers
    cf labels "search_base = $BASE" "version = 3" "result_attribute = maildrop" \
        "result_filter = %s via %2 %1"
    same labels alice@sub.example.test "0 alice@local.test via example test"
    same labels alice@test
    printf 'example.test ok\n' > "$L/domains"
    cf domtab "search_base = $BASE" "version = 3" "result_attribute = maildrop" \
        "domain = texthash:$L/domains"
    same domtab alice@example.test "0 alice@local.test"
    same domtab alice@sub.example.test "1 "
    cf hosts "server_host = ldap://127.0.0.1:9/, $SOCK_URL" "search_base = $BASE" \
        "result_attribute = maildrop" "dereference = 3" "chase_referrals = yes"
    same hosts bob@example.test "0 bob@local.test,bob@elsewhere.test"
    cf terminal "search_base = $BASE" "version = 3" "result_attribute = maildrop" \
        "terminal_result_attribute = mailterm"
    same terminal carol@example.test "0 carol-term@local.test"
    same terminal bob@example.test "0 bob@local.test,bob@elsewhere.test"

    # continuation lines and comments inside a .cf file
    printf '%s\n' "search_base = $BASE" "version = 3" "# a comment" "query_filter = (|" \
        "   # a comment in the middle" "    (mailacceptinggeneralid=%s)" "	(mail=%s))" \
        "result_attribute = maildrop," "  mail" "server_host = $SOCK_URL" > "$L/folded.cf"
    same folded alice@example.test "0 alice@example.test,alice@local.test"
    same folded we\(ird\)*x@example.test "0 we(ird)*x@example.test,weird@local.test"

    # the key in the search base (DN escaping), scope base and one
    cf dnbase "search_base = uid=%u,ou=people,$BASE" "scope = base" "version = 3" \
        "query_filter = (objectClass=*)" "result_attribute = mail"
    same dnbase alice@example.test "0 alice@example.test"
    same dnbase ghost@example.test "1 "
    same 'dnbase' 'dan,jr@example.test' "0 dan@example.test"
    same dnbase 'x+y#"z@example.test' "1 "
    cf one "search_base = $BASE" "scope = one" "version = 3" "result_attribute = maildrop"
    same one alice@example.test "1 "
    cf fixedbase "search_base = ou=missing,$BASE" "version = 3" "result_attribute = maildrop"
    same fixedbase alice@example.test "2 "

    # groups: DNs and URLs in special_result_attribute, nesting, loops
    cf groups "search_base = $BASE" "version = 3" "result_attribute = maildrop" \
        "special_result_attribute = mailgroupmember, mailgroupurl"
    same groups team@example.test "0 alice@local.test,bob@local.test,bob@elsewhere.test"
    same groups big@example.test
    same groups dyn@example.test
    same groups dynattr@example.test
    same groups dangling@example.test "0 d@local.test"
    same groups loop@example.test "2 "
    cf groups_mail "search_base = $BASE" "version = 3" "result_attribute = mail" \
        "special_result_attribute = mailgroupurl"
    same groups_mail dynattr@example.test "0 bob@example.test"
    same groups_mail dyn@example.test
    # leaf-only and terminal attributes
    cf leaf "search_base = $BASE" "version = 3" "result_attribute = maildrop" \
        "leaf_result_attribute = mail" "terminal_result_attribute = mailterm" \
        "special_result_attribute = mailgroupmember"
    same leaf big@example.test
    same leaf carol@example.test "0 carol-term@local.test"
    same leaf alice@example.test "0 alice@example.test,alice@local.test"
    # limits: recursion, expansion, size
    cf rlimit "search_base = $BASE" "version = 3" "result_attribute = maildrop" \
        "special_result_attribute = mailgroupmember" "recursion_limit = 2"
    same rlimit team@example.test
    same rlimit big@example.test "2 "
    cf elimit "search_base = $BASE" "version = 3" "result_attribute = maildrop" \
        "special_result_attribute = mailgroupmember" "expansion_limit = 2"
    same elimit alice@example.test "0 alice@local.test"
    same elimit team@example.test "2 "
    cf slimit "search_base = $BASE" "version = 3" "result_attribute = maildrop" "size_limit = 1"
    same slimit multi@example.test "2 "
    same slimit alice@example.test "0 alice@local.test"

    # binding: a DN and password, a wrong password, no bind at all
    cf bind "search_base = $BASE" "version = 3" "result_attribute = maildrop" \
        "bind_dn = cn=binder,$BASE" "bind_pw = pw"
    same bind alice@example.test "0 alice@local.test"
    same bind secret@example.test "0 secret@local.test"
    same plain secret@example.test "1 "
    cf badbind "search_base = $BASE" "version = 3" "result_attribute = maildrop" \
        "bind_dn = cn=binder,$BASE" "bind_pw = wrong"
    same badbind alice@example.test "2 "
    cf nobind "search_base = $BASE" "version = 3" "result_attribute = maildrop" "bind = no"
    same nobind alice@example.test "0 alice@local.test"
    # SASL EXTERNAL over the ldapi socket (the peer's uid); a mechanism
    # the server does not offer fails
    cf sasl "search_base = $BASE" "version = 3" "result_attribute = maildrop" \
        "bind = sasl" "sasl_mechs = EXTERNAL"
    same sasl alice@example.test "0 alice@local.test"
    same sasl secret@example.test "0 secret@local.test"
    cf badsasl "search_base = $BASE" "version = 3" "result_attribute = maildrop" \
        "bind = sasl" "sasl_mechs = NOSUCHMECH"
    same badsasl alice@example.test "2 "
    pass "$N lookups agree with postmap -q"
}

case_tls() {
    [ -n "$TLSCONF" ] || { echo "skip: openssl cannot make test certificates"; exit 77; }
    local common=("search_base = $BASE" "version = 3" "result_attribute = maildrop" "timeout = 5")
    cf ldaps "server_host = ldaps://127.0.0.1:$TLSPORT/" "${common[@]}" \
        "tls_ca_cert_file = $L/ca.pem" "tls_require_cert = yes"
    same ldaps alice@example.test "0 alice@local.test"
    cf starttls "server_host = ldap://127.0.0.1:$LPORT/" "${common[@]}" "start_tls = yes" \
        "tls_ca_cert_file = $L/ca.pem" "tls_require_cert = yes"
    same starttls alice@example.test "0 alice@local.test"
    cf wrongca "server_host = ldap://127.0.0.1:$LPORT/" "${common[@]}" "start_tls = yes" \
        "tls_ca_cert_file = $L/other.pem" "tls_require_cert = yes"
    same wrongca alice@example.test "2 "
    cf wrongca_s "server_host = ldaps://127.0.0.1:$TLSPORT/" "${common[@]}" \
        "tls_ca_cert_file = $L/other.pem" "tls_require_cert = yes"
    same wrongca_s alice@example.test "2 "
    cf nocheck "server_host = ldaps://127.0.0.1:$TLSPORT/" "${common[@]}" \
        "tls_ca_cert_file = $L/other.pem" "tls_require_cert = no"
    same nocheck alice@example.test "0 alice@local.test"
    pass "ldaps:// and StartTLS, with and without a trusted certificate"
}

case_down() {
    cf plain "search_base = $BASE" "version = 3" "result_attribute = maildrop" "timeout = 2"
    same plain alice@example.test "0 alice@local.test"
    slapd_stop
    same plain alice@example.test "2 "
    same plain nobody@example.test "2 "
    cf dead "server_host = ldap://127.0.0.1:9/" "search_base = $BASE" "version = 3"
    same dead alice@example.test "2 "
    # a server that accepts and never answers: the timeout, then an error
    local sport spid t0
    sport=$(free_port)
    $PY -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(5)
c = []
while True: c.append(s.accept())' "$sport" &
    spid=$!
    sleep 0.3
    cf silent "server_host = ldap://127.0.0.1:$sport/" "search_base = $BASE" "version = 3" \
        "timeout = 2"
    t0=$(date +%s)
    same silent alice@example.test "2 "
    kill "$spid"
    wait "$spid" 2>/dev/null
    [ $(($(date +%s) - t0)) -lt 15 ] || fail "the timeout was not kept"
    slapd_start
    same plain alice@example.test "0 alice@local.test"
    pass "an unreachable server is a temporary error, not 'not found'"
}

case_check() {
    printf 'server_host = ldap://127.0.0.1:9/\nsearch_bsae = dc=x\n' > "$L/typo.cf"
    printf '# c\nserver_host = ldap://127.0.0.1:9/\n\nstart_tls = maybe\n' > "$L/bool.cf"
    printf 'query_filter = (a=%%x)\n' > "$L/tmpl.cf"
    printf 'search_base = dc=x\n  ,dc=y\nbind = sasl\n' > "$L/good.cf"
    echo "virtual_alias_maps = ldap:$L/typo.cf, ldap:$L/bool.cf, ldap:$L/tmpl.cf, ldap:$L/good.cf" \
        >> "$T/etc/main.cf"
    as_user "$BIN" check -c "$T/etc" > "$L/check.out" 2>&1
    grep -qF "table ldap:$L/typo.cf: $L/typo.cf, line 2: unknown ldap_table(5) setting \"search_bsae\"" "$L/check.out" &&
        grep -qF "$L/bool.cf, line 4: bad boolean configuration: start_tls = maybe" "$L/check.out" &&
        grep -qF "Invalid query template: (a=%x)" "$L/check.out" &&
        ! grep -qF "good.cf" "$L/check.out" ||
        { cat "$L/check.out"; fail "postern check"; }
    pass "postern check names the file, the line and the setting"
}

# rcpt RCPT: the reply code and text to RCPT TO
rcpt() {
    $PY - "$PORT" "$1" <<'PY'
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=20)
s.ehlo("client.test")
s.mail("sender@example.org")
code, text = s.rcpt(sys.argv[2])
print(code, text.decode())
if code == 250:
    s.data(b"Subject: ldap alias\r\n\r\nvia ldap\r\n")
s.quit()
PY
}

case_e2e() {
    cf aliases "search_base = $BASE" "version = 3" "result_attribute = maildrop" "timeout = 2"
    cp "$L/aliases.cf" "$T/etc/aliases.cf"
    chown -R "$RUN_USER" "$T"
    mta_start
    local r
    r=$(rcpt e2e@local.test)
    case $r in 250*) ;; *) fail "RCPT e2e@local.test: $r" ;; esac
    wait_log "to=<alice@local.test>.*orig_to=<e2e@local.test>.*status=sent" 1 20
    wait_log "to=<bob@local.test>.*orig_to=<e2e@local.test>.*status=sent" 1 20
    grep -q "via ldap" "$T/mail/bob.mbox" || fail "bob's mailbox"
    pass "alias from LDAP delivered"
    slapd_stop
    r=$(rcpt e2e@local.test)
    case $r in "451 4.3.0"*) ;; *) fail "RCPT with slapd down: $r (want 451 4.3.0)" ;; esac
    pass "slapd down: $r"
    slapd_start
    r=$(rcpt e2e@local.test)
    case $r in 250*) ;; *) fail "RCPT after the restart: $r" ;; esac
    wait_log "to=<bob@local.test>.*orig_to=<e2e@local.test>.*status=sent" 2 20
    pass "slapd back: delivered"
    # local submission while slapd is down: local defers (no RCPT check
    # on this path), and delivers after the restart and a flush
    slapd_stop
    ln -s "$BIN" "$T/sendmail"
    printf 'Subject: ldap deferred\n\nvia sendmail\n' |
        as_user env MAIL_CONFIG="$T/etc" "$T/sendmail" -f sender@local.test e2e@local.test ||
        fail "sendmail"
    wait_log "to=<e2e@local.test>.*status=deferred \(alias database unavailable" 1 20
    slapd_start
    as_user "$BIN" queue -c "$T/etc" flush || fail "queue flush"
    wait_log "to=<bob@local.test>.*orig_to=<e2e@local.test>.*status=sent" 3 30
    grep -q "via sendmail" "$T/mail/bob.mbox" || fail "bob's mailbox after the flush"
    pass "slapd down in delivery: deferred; back: delivered"
    mta_stop
}

[ "$CASE" = true ] || case_$CASE
