#!/bin/bash
# mta_restrict.sh BIN CASE - the smtpd restrictions end to end, with a real
# unbound serving the test zone on 127.0.25.53:53 and the client name
# lookups, MX, A and PTR queries of the servers going to it through a
# private /etc/resolv.conf (unshare -m, bind mount; the rest of the
# machine keeps its resolver).
#
#   postern  Postern alone: each dialogue's replies against Postfix 3.7's
#            texts written below, and the reject/reject_warning log lines
#   postfix  the same dialogues against a real Postfix 3.7 smtpd with the
#            same restrictions: every reply, every reject/warn/warning log
#            line and every request a policy server gets must be identical
#   nodelay  smtpd_delay_reject = no: client, helo and sender restrictions
#            at their own commands, against a real Postfix
#
# Needs root (mount namespace, port 53); exit 77 (skipped) without it or
# without unbound (and, for "postfix", without Postfix).
set -u
BIN=$1
CASE=$2
. "$(dirname "$0")/mta_lib.sh"

[ "$(id -u)" = 0 ] || { echo "skip: needs root (mount namespace, port 53)"; exit 77; }
command -v unbound >/dev/null || { echo "skip: unbound not installed"; exit 77; }
command -v unshare >/dev/null || { echo "skip: unshare missing"; exit 77; }
DNSADDR=127.0.25.53

# the restrictions under test; the same lines go to both servers
restrictions() {
    local d=$1
    printf 'blocked@good.test REJECT no thanks\n' > "$d/sender_access"
    printf 'badhelo.test 554 5.7.0 bad helo\n' > "$d/helo_access"
    printf '203.0.113 REJECT\nmx.okmx.test OK\n' > "$d/mx_access"
    printf '127.0.0.3 unknown_client\n127.0.0.2 unknown_reverse\n127.0.0.4 REJECT\n127.0.0.6 rbl_check\n127.0.0.7 rbl_filtered\n127.0.0.8 rbl_check\nclient.test REJECT by name\n' > "$d/client_access"
    printf 'dsnhelo.test REJECT 5.1.2 odd\n' >> "$d/helo_access"
    printf '<> DUNNO\n' >> "$d/sender_access"
    printf '%s reject_unlisted_sender\n' virt.test alias.test relay.test >> "$d/sender_access"
    printf 'known@relay.test x\n' > "$d/relay_rcpt"
    printf 'known@virt.test virt.test/known/\n' > "$d/vmailbox"
    printf 'known@alias.test alice@local.test\n' > "$d/valias"
    cat > "$d/rcpt_access" <<EOF
dunno@local.test DUNNO
ok@local.test OK
num@local.test 1234567
tmp@local.test 450 4.2.0 mailbox busy
code@local.test 550 no such person here
dip@local.test DEFER_IF_PERMIT maybe later
dir@local.test defer_if_reject, reject
policydown@local.test policy_down
warn@local.test WARN looked at
cls@local.test strict_helo
rej@local.test REJECT
rejdsn@local.test REJECT 5.1.1 gone
defer@local.test DEFER
wir@local.test warn_if_reject, reject
wdip@local.test warn_if_reject, defer_if_permit
EOF
    cat <<EOF
smtpd_peername_lookup = yes
recipient_delimiter = +
inet_protocols = ipv4
relay_domains = relay.test
relay_recipient_maps = texthash:$d/relay_rcpt
virtual_mailbox_domains = virt.test
virtual_mailbox_maps = texthash:$d/vmailbox
virtual_alias_domains = alias.test
virtual_alias_maps = texthash:$d/valias
smtpd_restriction_classes = unknown_client, unknown_reverse, strict_helo,
    rbl_check, rbl_filtered, policy_down
smtpd_policy_service_try_limit = 1
rbl_check = reject_rbl_client bl.test
policy_down = check_policy_service inet:127.0.0.1:$DOWNPORT
rbl_filtered = reject_rbl_client bl.test=127.0.0.[3..9]
strict_helo = reject_non_fqdn_helo_hostname
unknown_client = reject_unknown_client_hostname
unknown_reverse = Reject_Unknown_Reverse_Client_Hostname
smtpd_client_restrictions = check_client_access texthash:$d/client_access
smtpd_helo_restrictions = reject_invalid_helo_hostname,
    check_helo_access texthash:$d/helo_access
smtpd_sender_restrictions = REJECT_NON_FQDN_SENDER,
    reject_unknown_sender_domain,
    check_sender_mx_access texthash:$d/mx_access,
    texthash:$d/sender_access,
    reject_rhsbl_sender dbl.test
smtpd_relay_restrictions = permit_mynetworks, permit_mx_backup,
    reject_unauth_destination
smtpd_recipient_restrictions = reject_non_fqdn_recipient,
    reject_unknown_recipient_domain,
    check_recipient_access texthash:$d/rcpt_access,
    check_recipient_ns_access texthash:$d/mx_access,
    warn_if_reject reject_unknown_helo_hostname,
    check_policy_service inet:127.0.0.1:$POLPORT,
    reject_multi_recipient_bounce,
    reject_unauth_pipelining, permit
smtpd_data_restrictions = reject_unauth_pipelining
EOF
}

# the smtpd_delay_reject = no variant
restrictions_nodelay() {
    local d=$1
    printf '127.0.0.4 REJECT\n127.0.0.6 DEFER_IF_PERMIT not now\n' > "$d/client_access"
    cat <<EOF
smtpd_peername_lookup = yes
smtpd_delay_reject = no
smtpd_client_restrictions = check_client_access texthash:$d/client_access
smtpd_helo_restrictions = reject_invalid_helo_hostname
smtpd_sender_restrictions = reject_non_fqdn_sender, reject_unknown_sender_domain
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_recipient_restrictions = permit
EOF
}

dialogues_nodelay() {
    cat <<'EOF'
nd_ok 127.0.0.1 EHLO helo.good.test ; MAIL FROM:<a@good.test> ; RCPT TO:<alice@local.test> ; RSET
nd_client 127.0.0.4 EHLO helo.good.test ; MAIL FROM:<a@good.test> ; RCPT TO:<alice@local.test> ; NOOP ; RSET
nd_client_dip 127.0.0.6 EHLO helo.good.test ; MAIL FROM:<a@good.test> ; RCPT TO:<alice@local.test> ; RSET
nd_helo 127.0.0.1 EHLO bad_helo! ; MAIL FROM:<a@good.test> ; EHLO helo.good.test ; MAIL FROM:<a@good.test> ; RCPT TO:<alice@local.test> ; RSET
nd_sender 127.0.0.1 EHLO helo.good.test ; MAIL FROM:<a@nodot> ; RCPT TO:<alice@local.test> ; MAIL FROM:<a@good.test> ; RCPT TO:<alice@local.test> ; RSET
nd_tempfail 127.0.0.1 EHLO helo.good.test ; MAIL FROM:<a@x.tempfail.test> ; RCPT TO:<alice@local.test> ; RSET
EOF
}

# dialogues: NAME SRC commands (see testdata/mta/dialogue.py)
dialogues() {
    cat <<'EOF'
ok 127.0.0.1 EHLO helo.good.test ; MAIL FROM:<a@good.test> ; RCPT TO:<alice@local.test> ; RSET
ok_aonly 127.0.0.1 EHLO helo.good.test ; MAIL FROM:<a@aonly.test> ; RCPT TO:<alice@local.test> ; RSET
sender_nx 127.0.0.1 EHLO helo.good.test ; MAIL FROM:<a@nx.test> ; RCPT TO:<alice@local.test>
sender_nullmx 127.0.0.1 EHLO helo.good.test ; MAIL FROM:<a@nullmx.test> ; RCPT TO:<alice@local.test>
sender_nofqdn 127.0.0.1 EHLO helo.good.test ; MAIL FROM:<a@nodot> ; RCPT TO:<alice@local.test>
sender_mx 127.0.0.1 EHLO helo.good.test ; MAIL FROM:<a@badmx.test> ; RCPT TO:<alice@local.test>
sender_access 127.0.0.1 EHLO helo.good.test ; MAIL FROM:<blocked@good.test> ; RCPT TO:<alice@local.test>
helo_invalid 127.0.0.1 EHLO bad_helo! ; MAIL FROM:<a@good.test> ; RCPT TO:<alice@local.test>
helo_access 127.0.0.1 EHLO badhelo.test ; MAIL FROM:<a@good.test> ; RCPT TO:<alice@local.test>
helo_warn 127.0.0.1 EHLO nxhelo.test ; MAIL FROM:<a@good.test> ; RCPT TO:<alice@local.test> ; RSET
rcpt_nx 127.0.0.1 EHLO helo.good.test ; MAIL FROM:<a@good.test> ; RCPT TO:<x@nx.test>
rcpt_nofqdn 127.0.0.1 EHLO helo.good.test ; MAIL FROM:<a@good.test> ; RCPT TO:<x@nodot>
client_forged 127.0.0.3 EHLO helo.good.test ; MAIL FROM:<a@good.test> ; RCPT TO:<alice@local.test>
client_noptr 127.0.0.2 EHLO helo.good.test ; MAIL FROM:<a@good.test> ; RCPT TO:<alice@local.test>
client_access 127.0.0.4 EHLO helo.good.test ; MAIL FROM:<a@good.test> ; RCPT TO:<alice@local.test>
relay 127.0.0.5 EHLO helo.good.test ; MAIL FROM:<a@good.test> ; RCPT TO:<x@good.test>
pipelining 127.0.0.1 HELO helo.good.test ; MAIL FROM:<a@good.test> ; +RCPT TO:<alice@local.test>
pipelining_data 127.0.0.1 EHLO helo.good.test ; MAIL FROM:<a@good.test> ; +RCPT TO:<alice@local.test> ; DATA ; +RSET
sender_tempfail 127.0.0.1 EHLO helo.good.test ; MAIL FROM:<a@x.tempfail.test> ; RCPT TO:<alice@local.test>
sender_tempfail_relay 127.0.0.5 EHLO helo.good.test ; MAIL FROM:<a@x.tempfail.test> ; RCPT TO:<x@good.test>
helo_tempfail 127.0.0.1 EHLO h.tempfail.test ; MAIL FROM:<a@good.test> ; RCPT TO:<alice@local.test> ; RSET
helo_dsn 127.0.0.1 EHLO dsnhelo.test ; MAIL FROM:<a@good.test> ; RCPT TO:<alice@local.test>
access_dunno 127.0.0.1 EHLO helo.good.test ; MAIL FROM:<a@good.test> ; RCPT TO:<dunno@local.test> ; RSET
access_ok 127.0.0.5 EHLO helo.good.test ; MAIL FROM:<a@good.test> ; RCPT TO:<ok@local.test> ; RCPT TO:<num@local.test> ; RSET
access_codes 127.0.0.1 EHLO helo.good.test ; MAIL FROM:<a@good.test> ; RCPT TO:<tmp@local.test> ; RCPT TO:<code@local.test> ; RCPT TO:<rej@local.test> ; RCPT TO:<rejdsn@local.test> ; RCPT TO:<defer@local.test>
access_defer_if 127.0.0.1 EHLO helo.good.test ; MAIL FROM:<a@good.test> ; RCPT TO:<dip@local.test> ; RCPT TO:<dir@local.test>
access_warn 127.0.0.1 EHLO helo.good.test ; MAIL FROM:<a@good.test> ; RCPT TO:<warn@local.test> ; RSET
access_class 127.0.0.1 EHLO nodothelo ; MAIL FROM:<a@good.test> ; RCPT TO:<cls@local.test> ; RCPT TO:<alice@local.test> ; RSET
mx_backup 127.0.0.5 EHLO helo.good.test ; MAIL FROM:<a@good.test> ; RCPT TO:<x@backup.test> ; RCPT TO:<x@far.test> ; RSET
rbl_client 127.0.0.6 EHLO helo.good.test ; MAIL FROM:<a@good.test> ; RCPT TO:<alice@local.test>
rbl_client_strings 127.0.0.8 EHLO helo.good.test ; MAIL FROM:<a@good.test> ; RCPT TO:<alice@local.test>
rbl_filtered 127.0.0.7 EHLO helo.good.test ; MAIL FROM:<a@good.test> ; RCPT TO:<alice@local.test> ; RSET
rhsbl_sender 127.0.0.1 EHLO helo.good.test ; MAIL FROM:<a@spam.test> ; RCPT TO:<alice@local.test>
policy 127.0.0.1 EHLO helo.good.test ; MAIL FROM:<a@good.test> SIZE=100 ; RCPT TO:<policy-reject@local.test> ; RCPT TO:<policy-code@local.test> ; RCPT TO:<policy-defer@local.test> ; RCPT TO:<policy-dunno@local.test> ; RSET
policy_down 127.0.0.1 EHLO helo.good.test ; MAIL FROM:<a@good.test> ; RCPT TO:<policydown@local.test>
vrfy 127.0.0.1 EHLO helo.good.test ; VRFY alice@local.test ; VRFY <x@nx.test> ; VRFY rej@local.test ; VRFY x@nodot
vrfy_relay 127.0.0.5 EHLO helo.good.test ; VRFY x@good.test ; MAIL FROM:<a@nx.test> ; VRFY alice@local.test ; RSET
rcpt_tables 127.0.0.5 EHLO helo.good.test ; MAIL FROM:<a@good.test> ; RCPT TO:<known@relay.test> ; RCPT TO:<nobody@relay.test> ; RCPT TO:<known+x@virt.test> ; RCPT TO:<nobody@virt.test> ; RCPT TO:<known@alias.test> ; RCPT TO:<nobody@alias.test> ; RSET
access_forms 127.0.0.1 EHLO helo.good.test ; MAIL FROM:<a@good.test> ; RCPT TO:<rej+foo@local.test> ; RCPT TO:<REJ@LOCAL.TEST> ; RCPT TO:<"rej"@local.test> ; RSET
client_name 127.0.0.9 EHLO helo.good.test ; MAIL FROM:<a@good.test> ; RCPT TO:<alice@local.test>
helo_forms 127.0.0.1 EHLO helo.good.test. ; MAIL FROM:<a@good.test> ; RCPT TO:<alice@local.test> ; RSET ; EHLO [127.0.0.1] ; MAIL FROM:<a@good.test> ; RCPT TO:<alice@local.test> ; RSET ; EHLO [1.2.3] ; MAIL FROM:<a@good.test> ; RCPT TO:<alice@local.test>
sender_percent 127.0.0.1 EHLO helo.good.test ; MAIL FROM:<blocked%good.test@local.test> ; RCPT TO:<alice@local.test>
sender_forms 127.0.0.1 EHLO helo.good.test ; MAIL FROM:<a@v6only.test> ; RCPT TO:<alice@local.test> ; RSET ; MAIL FROM:<a@[192.0.2.1]> ; RCPT TO:<alice@local.test> ; RSET ; MAIL FROM:<> ; RCPT TO:<alice@local.test> ; RSET ; MAIL FROM:<a@cname.test> ; RCPT TO:<alice@local.test> ; RSET ; MAIL FROM:<a@1.2.3.4> ; RCPT TO:<alice@local.test> ; RSET
server_access 127.0.0.1 EHLO helo.good.test ; MAIL FROM:<a@okmx.test> ; RCPT TO:<alice@local.test> ; RSET ; MAIL FROM:<a@good.test> ; RCPT TO:<x@nsbad.test> ; RSET
unlisted_sender 127.0.0.1 EHLO helo.good.test ; MAIL FROM:<nobody@virt.test> ; RCPT TO:<alice@local.test> ; RSET ; MAIL FROM:<nobody@alias.test> ; RCPT TO:<alice@local.test> ; RSET ; MAIL FROM:<known@relay.test> ; RCPT TO:<alice@local.test> ; RSET
warn_in_table 127.0.0.1 EHLO helo.good.test ; MAIL FROM:<a@good.test> ; RCPT TO:<wir@local.test> ; RCPT TO:<wdip@local.test> ; RSET
multi_bounce 127.0.0.1 EHLO helo.good.test ; MAIL FROM:<> ; RCPT TO:<alice@local.test> ; RCPT TO:<bob@local.test> ; RSET
EOF
}

# Postfix 3.7's replies (checked against a real Postfix with CASE postfix)
expected() {
    cat <<'EOF'
ok | 250 | 250 2.1.0 Ok | 250 2.1.5 Ok | 250 2.0.0 Ok
ok_aonly | 250 | 250 2.1.0 Ok | 250 2.1.5 Ok | 250 2.0.0 Ok
sender_nx | 250 | 250 2.1.0 Ok | 450 4.1.8 <a@nx.test>: Sender address rejected: Domain not found
sender_nullmx | 250 | 250 2.1.0 Ok | 550 5.7.27 <a@nullmx.test>: Sender address rejected: Domain nullmx.test does not accept mail (nullMX)
sender_nofqdn | 250 | 250 2.1.0 Ok | 504 5.5.2 <a@nodot>: Sender address rejected: need fully-qualified address
sender_mx | 250 | 250 2.1.0 Ok | 554 5.7.1 <a@badmx.test>: Sender address rejected: Access denied
sender_access | 250 | 250 2.1.0 Ok | 554 5.7.1 <blocked@good.test>: Sender address rejected: no thanks
helo_invalid | 250 | 250 2.1.0 Ok | 501 5.5.2 <bad_helo!>: Helo command rejected: Invalid name
helo_access | 250 | 250 2.1.0 Ok | 554 5.7.0 <badhelo.test>: Helo command rejected: bad helo
helo_warn | 250 | 250 2.1.0 Ok | 250 2.1.5 Ok | 250 2.0.0 Ok
rcpt_nx | 250 | 250 2.1.0 Ok | 450 4.1.2 <x@nx.test>: Recipient address rejected: Domain not found
rcpt_nofqdn | 250 | 250 2.1.0 Ok | 504 5.5.2 <x@nodot>: Recipient address rejected: need fully-qualified address
client_forged | 250 | 250 2.1.0 Ok | 450 4.7.25 Client host rejected: cannot find your hostname, [127.0.0.3]
client_noptr | 250 | 250 2.1.0 Ok | 450 4.7.1 Client host rejected: cannot find your reverse hostname, [127.0.0.2]
client_access | 250 | 250 2.1.0 Ok | 554 5.7.1 <unknown[127.0.0.4]>: Client host rejected: Access denied
relay | 250 | 250 2.1.0 Ok | 554 5.7.1 <x@good.test>: Relay access denied
pipelining | 250 | 250 2.1.0 Ok | 503 5.5.0 <alice@local.test>: Recipient address rejected: Improper use of SMTP command pipelining
pipelining_data | 250 | 250 2.1.0 Ok | 250 2.1.5 Ok | 503 5.5.0 <DATA>: Data command rejected: Improper use of SMTP command pipelining | 250 2.0.0 Ok
sender_tempfail | 250 | 250 2.1.0 Ok | 450 4.1.8 <a@x.tempfail.test>: Sender address rejected: Domain not found
sender_tempfail_relay | 250 | 250 2.1.0 Ok | 554 5.7.1 <x@good.test>: Relay access denied
helo_tempfail | 250 | 250 2.1.0 Ok | 250 2.1.5 Ok | 250 2.0.0 Ok
helo_dsn | 250 | 250 2.1.0 Ok | 554 5.0.0 <dsnhelo.test>: Helo command rejected: odd
access_dunno | 250 | 250 2.1.0 Ok | 250 2.1.5 Ok | 250 2.0.0 Ok
access_ok | 250 | 250 2.1.0 Ok | 250 2.1.5 Ok | 250 2.1.5 Ok | 250 2.0.0 Ok
access_codes | 250 | 250 2.1.0 Ok | 450 4.2.0 <tmp@local.test>: Recipient address rejected: mailbox busy | 550 5.7.1 <code@local.test>: Recipient address rejected: no such person here | 554 5.7.1 <rej@local.test>: Recipient address rejected: Access denied | 554 5.1.1 <rejdsn@local.test>: Recipient address rejected: gone | 450 4.7.1 <defer@local.test>: Recipient address rejected: Access denied
access_defer_if | 250 | 250 2.1.0 Ok | 450 4.7.1 <dip@local.test>: Recipient address rejected: maybe later | 450 4.7.0 <dir@local.test>: Recipient address rejected: defer_if_reject requested
access_warn | 250 | 250 2.1.0 Ok | 250 2.1.5 Ok | 250 2.0.0 Ok
access_class | 250 | 250 2.1.0 Ok | 504 5.5.2 <nodothelo>: Helo command rejected: need fully-qualified hostname | 250 2.1.5 Ok | 250 2.0.0 Ok
mx_backup | 250 | 250 2.1.0 Ok | 550 5.7.1 <x@backup.test>: Recipient address rejected: test instance | 554 5.7.1 <x@far.test>: Relay access denied | 250 2.0.0 Ok
rbl_client | 250 | 250 2.1.0 Ok | 554 5.7.1 Service unavailable; Client host [127.0.0.6] blocked using bl.test; Listed: see https://bl.test/q?127.0.0.6
rbl_client_strings | 250 | 250 2.1.0 Ok | 554 5.7.1 Service unavailable; Client host [127.0.0.8] blocked using bl.test; one
rbl_filtered | 250 | 250 2.1.0 Ok | 250 2.1.5 Ok | 250 2.0.0 Ok
rhsbl_sender | 250 | 250 2.1.0 Ok | 554 5.7.1 Service unavailable; Sender address [a@spam.test] blocked using dbl.test
policy | 250 | 250 2.1.0 Ok | 554 5.7.1 <policy-reject@local.test>: Recipient address rejected: policy says no | 451 4.7.1 <policy-code@local.test>: Recipient address rejected: policy is busy | 450 4.7.1 <policy-defer@local.test>: Recipient address rejected: policy says later | 250 2.1.5 Ok | 250 2.0.0 Ok
policy_down | 250 | 250 2.1.0 Ok | 451 4.3.5 <policydown@local.test>: Recipient address rejected: Server configuration problem
vrfy | 250 | 252 2.0.0 alice@local.test | 450 4.1.2 <x@nx.test>: Recipient address rejected: Domain not found | 554 5.7.1 <rej@local.test>: Recipient address rejected: Access denied | 504 5.5.2 <x@nodot>: Recipient address rejected: need fully-qualified address
vrfy_relay | 250 | 554 5.7.1 <x@good.test>: Relay access denied | 250 2.1.0 Ok | 450 4.1.8 <a@nx.test>: Sender address rejected: Domain not found | 250 2.0.0 Ok
rcpt_tables | 250 | 250 2.1.0 Ok | 250 2.1.5 Ok | 550 5.1.1 <nobody@relay.test>: Recipient address rejected: User unknown in relay recipient table | 250 2.1.5 Ok | 550 5.1.1 <nobody@virt.test>: Recipient address rejected: User unknown in virtual mailbox table | 250 2.1.5 Ok | 550 5.1.1 <nobody@alias.test>: Recipient address rejected: User unknown in virtual alias table | 250 2.0.0 Ok
access_forms | 250 | 250 2.1.0 Ok | 554 5.7.1 <rej+foo@local.test>: Recipient address rejected: Access denied | 554 5.7.1 <REJ@LOCAL.TEST>: Recipient address rejected: Access denied | 554 5.7.1 <rej@local.test>: Recipient address rejected: Access denied | 250 2.0.0 Ok
client_name | 250 | 250 2.1.0 Ok | 554 5.7.1 <named.client.test[127.0.0.9]>: Client host rejected: by name
helo_forms | 250 | 250 2.1.0 Ok | 250 2.1.5 Ok | 250 2.0.0 Ok | 250 | 250 2.1.0 Ok | 250 2.1.5 Ok | 250 2.0.0 Ok | 250 | 250 2.1.0 Ok | 501 5.5.2 <[1.2.3]>: Helo command rejected: invalid ip address
sender_percent | 250 | 250 2.1.0 Ok | 554 5.7.1 <blocked%good.test@local.test>: Sender address rejected: no thanks
sender_forms | 250 | 250 2.1.0 Ok | 250 2.1.5 Ok | 250 2.0.0 Ok | 250 2.1.0 Ok | 250 2.1.5 Ok | 250 2.0.0 Ok | 250 2.1.0 Ok | 250 2.1.5 Ok | 250 2.0.0 Ok | 250 2.1.0 Ok | 250 2.1.5 Ok | 250 2.0.0 Ok | 501 5.1.7 Bad sender address syntax | 503 5.5.1 Error: need MAIL command | 250 2.0.0 Ok
server_access | 250 | 250 2.1.0 Ok | 451 4.3.5 Server configuration error | 250 2.0.0 Ok | 250 2.1.0 Ok | 554 5.7.1 <x@nsbad.test>: Recipient address rejected: Access denied | 250 2.0.0 Ok
unlisted_sender | 250 | 250 2.1.0 Ok | 550 5.1.0 <nobody@virt.test>: Sender address rejected: User unknown in virtual mailbox table | 250 2.0.0 Ok | 250 2.1.0 Ok | 550 5.1.7 <nobody@alias.test>: Sender address rejected: User unknown in virtual alias table | 250 2.0.0 Ok | 250 2.1.0 Ok | 250 2.1.5 Ok | 250 2.0.0 Ok
warn_in_table | 250 | 250 2.1.0 Ok | 250 2.1.5 Ok | 250 2.1.5 Ok | 250 2.0.0 Ok
multi_bounce | 250 | 250 2.1.0 Ok | 250 2.1.5 Ok | 550 5.5.3 <bob@local.test>: Recipient address rejected: Multi-recipient bounce | 250 2.0.0 Ok
EOF
}

# ---- unbound on 127.0.25.53:53 ------------------------------------------
UB_PID=
# start_policy: the policy server, and a port where none listens
start_policy() {
    POLPORT=$(free_port)
    DOWNPORT=$(free_port)
    : > "$T/policy.log"
    chmod 666 "$T/policy.log"
    $PY "$TESTDATA/policy.py" "$POLPORT" "$T/policy.log" &
    PIDS+=($!)
}

start_dns() {
    local d=$1
    SFPORT=$(free_port)
    $PY "$TESTDATA/servfail.py" "$SFPORT" &
    PIDS+=($!)
    cat > "$d/unbound.conf" <<EOF
server:
    interface: $DNSADDR
    port: 53
    do-daemonize: no
    username: ""
    chroot: ""
    directory: "$d"
    pidfile: ""
    use-syslog: no
    logfile: "$d/unbound.log"
    do-ip6: no
    # nothing but the test zones: any other name is refused here
    local-zone: "." refuse
    outgoing-interface: $DNSADDR
    local-zone: "test." static
    local-data: "good.test. MX 10 mx.good.test."
    local-data: "mx.good.test. A 127.0.0.1"
    local-data: "helo.good.test. A 127.0.0.1"
    local-data: "aonly.test. A 192.0.2.1"
    local-data: "nullmx.test. MX 0 ."
    local-data: "badmx.test. MX 10 mx.spam.test."
    local-data: "mx.spam.test. A 203.0.113.9"
    local-data: "spam.test. A 192.0.2.66"
    local-data: "okmx.test. MX 10 mx.okmx.test."
    local-data: "mx.okmx.test. A 192.0.2.88"
    local-data: "nsbad.test. A 192.0.2.89"
    local-data: "nsbad.test. NS ns.spam.test."
    local-data: "ns.spam.test. A 203.0.113.53"
    local-data: "v6only.test. AAAA 2001:db8::25"
    local-data: "cname.test. CNAME good.test."
    local-data: "relay.test. A 192.0.2.77"
    local-data: "6.0.0.127.bl.test. A 127.0.0.2"
    local-data: '6.0.0.127.bl.test. TXT "Listed: see https://bl.test/q?127.0.0.6"'
    local-data: "8.0.0.127.bl.test. A 127.0.0.2"
    local-data: '8.0.0.127.bl.test. TXT "one" "two"'
    local-data: "7.0.0.127.bl.test. A 127.0.0.2"
    local-data: "spam.test.dbl.test. A 127.0.1.2"
    local-data: "backup.test. MX 10 mx.far.test."
    local-data: "backup.test. MX 20 mx.good.test."
    local-data: "far.test. MX 10 mx.far.test."
    local-data: "mx.far.test. A 192.0.2.7"
    # names under tempfail.test fail: their server answers SERVFAIL
    do-not-query-localhost: no
    local-zone: "tempfail.test." transparent
    local-zone: "127.in-addr.arpa." static
    local-data-ptr: "127.0.0.1 localhost"
    local-data-ptr: "127.0.0.3 ghost.test"
    local-data-ptr: "127.0.0.5 outside.test"
    local-data-ptr: "127.0.0.9 named.client.test"
    local-data: "named.client.test. A 127.0.0.9"
    local-data: "outside.test. A 127.0.0.5"
forward-zone:
    name: "tempfail.test."
    forward-addr: 127.0.0.1@$SFPORT
remote-control:
    control-enable: no
EOF
    unbound-checkconf "$d/unbound.conf" >/dev/null || fail "unbound.conf"
    unbound -d -c "$d/unbound.conf" &
    UB_PID=$!
    PIDS+=("$UB_PID")
    local i
    for i in $(seq 50); do
        $PY - "$DNSADDR" <<'PY' 2>/dev/null && break
import socket, sys
q = bytes.fromhex("1234010000010000000000000474657374000006") + b"\x00\x01"
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(0.2)
s.sendto(q, (sys.argv[1], 53)); s.recv(512)
PY
        sleep 0.1
    done
    printf 'nameserver %s\noptions timeout:2 attempts:1\n' "$DNSADDR" > "$d/resolv.conf"
}

# in_ns CMD...: CMD with the test resolv.conf over /etc/resolv.conf in
# a mount namespace of its own (daemons it starts keep it)
in_ns() {
    unshare -m --propagation private sh -c \
        'mount --bind "$0" /etc/resolv.conf && exec "$@"' "$T/resolv.conf" "$@"
}

# ---- Postern --------------------------------------------------------------
start_postern() {
    mta_setup "myhostname = mx.local.test" "mynetworks = 127.0.0.1/32" \
        "local_recipient_maps =" \
        "default_transport = error:5.7.1 test instance"
    trap "$EXIT_TRAP" EXIT # mta_setup set its own
    mkdir -p "$T/r"
    start_policy
    "$RESTRICTIONS" "$T/r" >> "$T/etc/main.cf"
    chmod -R a+rX "$T/r"
    start_dns "$T"
    # the resolvers of /etc/resolv.conf (the namespace's), not the fence.
    # The tables behind reject_unlisted_* (virtual aliases, virtual and
    # relay domains) are set only for the restrictions to consult: check
    # rightly says Postern does not deliver through them, hence
    # --allow-unimplemented
    in_ns env POSTERN_DNS_RESOLVERS= "${AS[@]}" "$BIN" start \
        --allow-unimplemented -c "$T/etc" \
        2> "$T/start.err" || { cat "$T/start.err" >&2; fail "postern start"; }
    MASTER_PID=$(tr -d ' ' < "$T/queue/pid/master.pid")
}

case_postern() {
    EXIT_TRAP='stop_pids; cleanup_instance'
    start_postern
    sleep 0.5
    py dialogue.py "$PORT" <(dialogues) > "$T/got" || fail "dialogue.py"
    if ! diff -u <(expected) "$T/got"; then
        tail -n 30 "$T/maillog" >&2
        fail "replies differ from Postfix 3.7's"
    fi
    pass "$(dialogues | wc -l) dialogues answered as Postfix 3.7 answers them"
    # the log lines fail2ban and log analysers read
    wait_log 'NOQUEUE: reject: RCPT from localhost\[127\.0\.0\.1\]: 450 4\.1\.8 <a@nx\.test>: Sender address rejected: Domain not found; from=<a@nx\.test> to=<alice@local\.test> proto=ESMTP helo=<helo\.good\.test>$'
    wait_log 'NOQUEUE: reject_warning: RCPT from localhost\[127\.0\.0\.1\]: 450 4\.7\.1 <nxhelo\.test>: Helo command rejected: Host not found; from=<a@good\.test> to=<alice@local\.test> proto=ESMTP helo=<nxhelo\.test>$'
    wait_log 'improper command pipelining after MAIL from localhost\[127\.0\.0\.1\]: RCPT TO:<alice@local\.test>\\r\\n$'
    wait_log 'NOQUEUE: reject_warning: RCPT from localhost\[127\.0\.0\.1\]: 450 4\.7\.1 <h\.tempfail\.test>: Helo command rejected: Host not found;'
    wait_log 'NOQUEUE: warn: RCPT from localhost\[127\.0\.0\.1\]: looked at; from=<a@good\.test> to=<warn@local\.test> proto=ESMTP helo=<helo\.good\.test>$'
    wait_log 'warning: problem talking to server 127\.0\.0\.1:[0-9]+: Connection refused'
    pass "reject and reject_warning log lines"
}

# ---- Postfix (tests/postfix_peer.sh) --------------------------------------
. "$(dirname "$0")/postfix_peer.sh"
PF=
pf_cleanup() { [ -z "$PF" ] || pf_stop "$PF"; }

start_postfix() {
    local port=$1
    PF=$T/pf
    mkdir -p "$PF/etc" "$PF/r"
    {
        pf_main_cf "$PF"
        cat <<EOF
myhostname = mx.local.test
mydomain = local.test
myorigin = local.test
mydestination = local.test, localhost
mynetworks = 127.0.0.1/32
local_recipient_maps =
alias_maps =
alias_database =
relayhost =
default_transport = error:5.7.1 test instance
EOF
        "$RESTRICTIONS" "$PF/r"
    } > "$PF/etc/main.cf"
    chmod -R a+rX "$PF/r"
    pf_master_cf "127.0.0.1:$port inet n  -       n      -      -       smtpd" \
        > "$PF/etc/master.cf"
    pf_start "$PF" "$port" in_ns || fail "Postfix peer"
}

case_postfix() {
    local why
    why=$(pf_need)
    [ -z "$why" ] || { echo "skip: $why"; exit 77; }
    EXIT_TRAP='pf_cleanup; stop_pids; cleanup_instance'
    start_postern
    local pport
    pport=$(free_port)
    start_postfix "$pport"
    sleep 0.5
    py dialogue.py "$pport" <("$DIALOGUES") > "$T/postfix.out" || fail "dialogue.py (Postfix)"
    py dialogue.py "$PORT" <("$DIALOGUES") > "$T/postern.out" || fail "dialogue.py (Postern)"
    if ! diff -u "$T/postfix.out" "$T/postern.out"; then
        echo "--- postfix maillog" >&2; tail -n 20 "$PF/maillog" >&2
        fail "Postern's replies differ from Postfix's (- Postfix, + Postern)"
    fi
    if [ "$DIALOGUES" = dialogues ]; then
        diff -u <(expected) "$T/postfix.out" ||
            fail "Postfix's replies differ from the texts in this test"
    fi
    pass "$("$DIALOGUES" | wc -l) dialogues: Postern's replies are Postfix's"
    # the reject, reject_warning and warn lines of both logs, alike
    sleep 0.5
    local re='^.*\]: (NOQUEUE: (reject|reject_warning|warn): .*|improper command pipelining .*|warning: (Unable to look up|restriction|problem talking) .*)$'
    sed -nE "s/$re/\\1/p" "$PF/maillog" > "$T/postfix.log"
    sed -nE "s/$re/\\1/p" "$T/maillog" > "$T/postern.log"
    [ "$(wc -l < "$T/postfix.log")" -ge 5 ] || fail "too few Postfix log lines"
    diff -u "$T/postfix.log" "$T/postern.log" ||
        fail "Postern's reject/warn log lines differ from Postfix's"
    pass "$(wc -l < "$T/postfix.log") reject, reject_warning, warn, pipelining and warning log lines alike"
    # the policy requests: Postfix's first, then Postern's, alike but for
    # the ports and the instance
    [ "$DIALOGUES" = dialogues ] || return 0
    $PY - "$T/policy.log" <<'PY' || fail "policy requests differ"
import re, sys
lines = [re.sub(r"(client_port|server_port|instance|queue_id)=[^|]*", r"\1=*", l)
         for l in open(sys.argv[1]).read().splitlines()]
half = len(lines) // 2
if half < 5 or lines[:half] != lines[half:]:
    for a, b in zip(lines[:half], lines[half:]):
        if a != b:
            print("- " + a + "\n+ " + b)
    sys.exit(1)
print("ok: %d policy requests alike" % half)
PY
}

RESTRICTIONS=restrictions
DIALOGUES=dialogues
case "$CASE" in
postern | postfix) "case_$CASE" ;;
nodelay)
    RESTRICTIONS=restrictions_nodelay
    DIALOGUES=dialogues_nodelay
    case_postfix ;;
*) echo "unknown case $CASE" >&2; exit 2 ;;
esac
