#!/bin/bash
# mta_postscreen.sh BIN [deep] - postscreen in front of smtpd (issue 21).
#
# Postfix's layout ("smtp inet ... postscreen" + "smtpd pass ... smtpd"),
# an unbound on loopback serving a block list (bl.test) and an allow
# list (wl.test), and clients on distinct loopback addresses:
#   127.0.0.10 honest: PASS NEW, mail delivered by smtpd; again: PASS OLD
#   127.0.0.6  pregreets: PREGREET, 550 5.5.1 Protocol error at RCPT
#   127.0.0.4  listed (bl.test): DNSBL rank, 550 5.7.1 ... blocked using
#              public.bl.example (postscreen_dnsbl_reply_map)
#   127.0.0.5  allowlisted (wl.test, weight -2): PASS NEW at once
#   127.0.0.20 postscreen_access_list reject: DENYLISTED, 521 (drop)
#   127.0.0.21 postscreen_access_list permit: ALLOWLISTED, to smtpd
# With "deep", the deep protocol tests are on (pipelining, bare newline,
# non-SMTP command, enforce): the honest client gets 450 at RCPT and PASS NEW, then PASS OLD
# and smtpd; a pipelining, a bare-LF and an HTTP client get 550 5.5.1.
# As root, a real Postfix with the same main.cf/master.cf lines runs side
# by side and must give the same replies and postscreen log lines.
set -u
BIN=$1
CASE=${2:-basic}
. "$(dirname "$0")/mta_lib.sh"

cleanup() {
    if type pf_cleanup >/dev/null 2>&1; then pf_cleanup; fi
    stop_pids
    cleanup_instance
}

PS_CF=(
    "postscreen_greet_wait = 2s"
    "postscreen_greet_action = enforce"
    "postscreen_dnsbl_sites = bl.test=127.0.0.[2..11]*2, wl.test=127.0.[0..255].[1..3]*-2"
    "postscreen_dnsbl_threshold = 2"
    "postscreen_dnsbl_allowlist_threshold = -1"
    "postscreen_dnsbl_action = enforce"
    "postscreen_denylist_action = drop"
    "postscreen_dnsbl_reply_map = inline:{bl.test=public.bl.example}"
    "smtpd_banner = \$myhostname ESMTP"
)
CLIENTS="127.0.0.10:honest 127.0.0.10:honest 127.0.0.6:pregreet 127.0.0.4:honest 127.0.0.5:honest 127.0.0.20:drop 127.0.0.21:honest"
if [ "$CASE" = deep ]; then
    PS_CF+=(
        "postscreen_pipelining_enable = yes"
        "postscreen_pipelining_action = enforce"
        "postscreen_bare_newline_enable = yes"
        "postscreen_bare_newline_action = enforce"
        "postscreen_non_smtp_command_enable = yes"
        "postscreen_non_smtp_command_action = enforce"
    )
    CLIENTS="127.0.0.10:honest 127.0.0.10:honest 127.0.0.7:pipeline 127.0.0.8:barelf 127.0.0.9:nonsmtp 127.0.0.5:honest"
fi

mta_setup "${PS_CF[@]}"
trap cleanup EXIT
echo "postscreen_access_list = permit_mynetworks, cidr:$T/etc/ps_access.cidr" >> "$T/etc/main.cf"
printf '127.0.0.20/32 reject\n127.0.0.21/32 permit\n127.0.0.10/32 dunno\n' > "$T/etc/ps_access.cidr"
cat > "$T/dns.zone" <<Z
4.0.0.127.bl.test. A 127.0.0.2
5.0.0.127.wl.test. A 127.0.5.2
Z
unbound_start
sed -i "s/^127.0.0.1:$PORT inet n - n - - smtpd.*/127.0.0.1:$PORT inet n - n - 1 postscreen\nsmtpd pass - - n - - smtpd/" "$T/etc/master.cf"
[ "$(id -u)" = 0 ] && chown -R nobody "$T"
mta_start
wait_log "\(postscreen\): clients are screened by postscreen" 1

client() { py ps_client.py 127.0.0.1 "$PORT" "$@"; }

if [ "$CASE" = deep ]; then
    out=$(client 127.0.0.10 honest) || fail "honest client: $out"
    echo "$out" | grep -qx "450 4.3.2 Service currently unavailable" || fail "honest client, deep tests: no 450 at RCPT: $out"
    wait_log "postscreen\[[0-9]+\]: PASS NEW \[127.0.0.10\]:[0-9]+" 1
    wait_log 'NOQUEUE: reject: RCPT from \[127.0.0.10\]:[0-9]+: 450 4.3.2 Service currently unavailable; from=<sender@example.org>, to=<alice@local.test>, proto=ESMTP, helo=<client.example>' 1
    out=$(client 127.0.0.10 honest) || fail "honest client again: $out"
    echo "$out" | grep -q "^250 2.0.0 Ok: queued" || fail "honest client's second try not queued: $out"
    wait_log "postscreen\[[0-9]+\]: PASS OLD \[127.0.0.10\]:[0-9]+" 1
    pass "deep tests: an honest client gets 450 and PASS NEW, then PASS OLD and smtpd"
    out=$(client 127.0.0.7 pipeline) || fail "pipelining client: $out"
    echo "$out" | grep -qx "550 5.5.1 Protocol error" || fail "pipelining client not rejected: $out"
    wait_log 'postscreen\[[0-9]+\]: COMMAND PIPELINING from \[127.0.0.7\]:[0-9]+ after MAIL: RCPT TO:<alice@local.test>\\r\\n' 1
    pass "deep tests: COMMAND PIPELINING, 550 5.5.1 at RCPT"
    out=$(client 127.0.0.8 barelf) || fail "bare newline client: $out"
    echo "$out" | grep -qx "550 5.5.1 Protocol error" || fail "bare newline client not rejected: $out"
    wait_log 'postscreen\[[0-9]+\]: BARE NEWLINE from \[127.0.0.8\]:[0-9]+ after EHLO client.example$' 1
    pass "deep tests: BARE NEWLINE, 550 5.5.1 at RCPT"
    out=$(client 127.0.0.9 nonsmtp) || fail "non-SMTP client: $out"
    echo "$out" | grep -qx "502 5.5.2 Error: command not recognized" || fail "non-SMTP command not answered 502: $out"
    echo "$out" | grep -qx "550 5.5.1 Protocol error" || fail "non-SMTP client not rejected: $out"
    wait_log 'postscreen\[[0-9]+\]: NON-SMTP COMMAND from \[127.0.0.9\]:[0-9]+ after CONNECT: GET / HTTP/1.0$' 1
    pass "deep tests: NON-SMTP COMMAND, 502 to it, 550 5.5.1 at RCPT"
else

# honest client: teaser, greet_wait, PASS NEW, smtpd's own 220, delivery
out=$(client 127.0.0.10 honest) || fail "honest client: $out"
echo "$out" | grep -q "^220 " || fail "no 220 for the honest client: $out"
echo "$out" | grep -q "^250 2.0.0 Ok: queued" || fail "honest client's mail not queued: $out"
wait_log "postscreen\[[0-9]+\]: CONNECT from \[127.0.0.10\]:[0-9]+ to \[127.0.0.1\]:$PORT" 1
wait_log "postscreen\[[0-9]+\]: PASS NEW \[127.0.0.10\]:[0-9]+" 1
wait_log "smtpd\[[0-9]+\]: connect from unknown\[127.0.0.10\]" 1
wait_log 'status=sent \(delivered to maildir\)' 1
pass "honest client: PASS NEW, handed to smtpd, mail delivered"
start=$(date +%s.%N)
out=$(client 127.0.0.10 honest) || fail "honest client again: $out"
wait_log "postscreen\[[0-9]+\]: PASS OLD \[127.0.0.10\]:[0-9]+" 1
$PY -c "import sys; sys.exit(0 if float(sys.argv[2]) - float(sys.argv[1]) < 1.5 else 1)" "$start" "$(date +%s.%N)" \
    || fail "PASS OLD client waited for greet_wait"
pass "honest client again: PASS OLD, no greet_wait"

# pregreeting bot: PREGREET, dummy engine, 550 5.5.1 at RCPT
out=$(client 127.0.0.6 pregreet) || fail "pregreet client: $out"
echo "$out" | grep -qx "550 5.5.1 Protocol error" || fail "pregreet client not rejected at RCPT: $out"
wait_log 'postscreen\[[0-9]+\]: PREGREET 18 after [0-9.]+ from \[127.0.0.6\]:[0-9]+: EHLO bot.example\\r\\n' 1
wait_log 'postscreen\[[0-9]+\]: NOQUEUE: reject: RCPT from \[127.0.0.6\]:[0-9]+: 550 5.5.1 Protocol error; from=<sender@example.org>, to=<alice@local.test>, proto=ESMTP, helo=<bot.example>' 1
wait_log 'postscreen\[[0-9]+\]: DISCONNECT \[127.0.0.6\]:[0-9]+' 1
[ "$(count_log 'connect from unknown\[127.0.0.6\]')" = 0 ] || fail "the pregreeting client reached smtpd"
pass "pregreeting client: PREGREET, 550 5.5.1 Protocol error at RCPT, never reaches smtpd"

# DNSBL-listed client
out=$(client 127.0.0.4 honest) || fail "listed client: $out"
echo "$out" | grep -qx "550 5.7.1 Service unavailable; client \[127.0.0.4\] blocked using public.bl.example" \
    || fail "listed client not rejected with Postfix's text: $out"
wait_log 'postscreen\[[0-9]+\]: DNSBL rank 2 for \[127.0.0.4\]:[0-9]+' 1
wait_log 'NOQUEUE: reject: RCPT from \[127.0.0.4\]:[0-9]+: 550 5.7.1 Service unavailable; client \[127.0.0.4\] blocked using public.bl.example; from=<sender@example.org>, to=<alice@local.test>, proto=ESMTP, helo=<client.example>' 1
pass "DNSBL-listed client: DNSBL rank 2, 550 5.7.1 ... blocked using public.bl.example (postscreen_dnsbl_reply_map) at RCPT"

# DNSWL-allowlisted client: no greet_wait
start=$(date +%s.%N)
out=$(client 127.0.0.5 honest) || fail "allowlisted client: $out"
echo "$out" | grep -q "^250 2.0.0 Ok: queued" || fail "allowlisted client's mail not queued: $out"
wait_log "postscreen\[[0-9]+\]: PASS NEW \[127.0.0.5\]:[0-9]+" 1
$PY -c "import sys; sys.exit(0 if float(sys.argv[2]) - float(sys.argv[1]) < 1.5 else 1)" "$start" "$(date +%s.%N)" \
    || fail "the DNSWL-allowlisted client waited for greet_wait"
pass "DNSWL-allowlisted client: PASS NEW without greet_wait, mail queued"

# access list
out=$(client 127.0.0.20 drop) || fail "denylisted client: $out"
[ "$(echo "$out" | head -1)" = "521 5.3.2 Service currently unavailable" ] || fail "denylisted client: $out"
wait_log "postscreen\[[0-9]+\]: DENYLISTED \[127.0.0.20\]:[0-9]+" 1
wait_log "postscreen\[[0-9]+\]: DISCONNECT \[127.0.0.20\]:[0-9]+" 1
out=$(client 127.0.0.21 honest) || fail "permitted client: $out"
echo "$out" | grep -q "^250 2.0.0 Ok: queued" || fail "permitted client's mail not queued: $out"
wait_log "postscreen\[[0-9]+\]: ALLOWLISTED \[127.0.0.21\]:[0-9]+" 1
pass "postscreen_access_list: reject (DENYLISTED, 521 with drop), permit (ALLOWLISTED, to smtpd)"
fi
mta_stop

# --- side by side with Postfix (root only) ---
why=
if [ "$(id -u)" != 0 ]; then
    why="the comparison with Postfix runs as root only"
else
    . "$(dirname "$0")/postfix_peer.sh"
    why=$(pf_need)
    [ -x /usr/lib/postfix/sbin/postscreen ] || why="Postfix's postscreen is not installed"
fi
if [ -n "$why" ]; then
    echo "note: $why; Postern's part passed"
    exit 0
fi
PF=
pf_cleanup() { [ -z "$PF" ] || pf_stop "$PF"; }

# every client once, in order; the last line of every reply
run_clients() {
    local port=$1 a m
    for a in $CLIENTS; do
        m=${a#*:}
        echo "## ${a%%:*} $m"
        py ps_client.py 127.0.0.1 "$port" "${a%%:*}" "$m" 2>&1 | sed -E 's/queued as [0-9A-Za-z]+/queued as ID/'
    done
}
# the postscreen lines of a maillog from line $2 on, with ports, times,
# pids and host masked; not those of 127.0.0.1 (pf_start's probe)
ps_lines() {
    tail -n +"$2" "$1" | grep -E 'postscreen\[[0-9]+\]: ' |
        grep -vE '(from|LISTED) \[127\.0\.0\.1\]:' | sed -E \
        -e 's/^.*postscreen\[[0-9]+\]: //' -e 's/\]:[0-9]+/]:PORT/g' \
        -e 's/ after [0-9.]+ / after T /' |
        grep -vE '^(warning|statistics|cache )'
}

# a resolver on port 53 for Postfix's dnsblog (it reads resolv.conf)
DNSADDR=127.0.21.53
sed -e "s/^    interface: .*/    interface: $DNSADDR/" -e "s/^    port: .*/    port: 53/" \
    -e "s/^    outgoing-interface: .*/    outgoing-interface: $DNSADDR/" \
    -e "s|^    logfile: .*|    logfile: \"$T/unbound53.log\"|" "$T/unbound.conf" > "$T/unbound53.conf"
unbound -d -c "$T/unbound53.conf" &
PIDS+=($!)
printf 'nameserver %s\noptions timeout:2 attempts:1\n' "$DNSADDR" > "$T/resolv.conf"
in_ns() {
    unshare -m --propagation private sh -c \
        'mount --bind "$0" /etc/resolv.conf && exec "$@"' "$T/resolv.conf" "$@"
}

PF=$T/pf
mkdir -p "$PF/etc"
pport=$(free_port)
{
    pf_main_cf "$PF"
    pf_local_cf | grep -v '^smtpd_tls_security_level'
    printf '%s\n' "${PS_CF[@]}"
    echo "postscreen_access_list = permit_mynetworks, cidr:$PF/etc/ps_access.cidr"
} > "$PF/etc/main.cf"
cp "$T/etc/ps_access.cidr" "$PF/etc/"
pf_master_cf "127.0.0.1:$pport inet n - n - 1 postscreen" \
    "smtpd pass - - n - - smtpd" "dnsblog unix - - n - 0 dnsblog" \
    "tlsproxy unix - - n - 0 tlsproxy" > "$PF/etc/master.cf"
pf_start "$PF" "$pport" in_ns || fail "Postfix peer"
run_clients "$pport" > "$T/postfix.out"

# Postern afresh (its allowlist lives in memory), same clients
from=$(($(wc -l < "$T/maillog") + 1))
mta_start
wait_log "\(postscreen\): clients are screened by postscreen" 2
run_clients "$PORT" > "$T/postern.out"
sleep 0.5
diff -u "$T/postfix.out" "$T/postern.out" || fail "replies differ from Postfix's postscreen (- Postfix, + Postern)"
pass "the same replies as Postfix's postscreen for the $(echo $CLIENTS | wc -w) clients"
ps_lines "$PF/maillog" 1 > "$T/postfix.log"
ps_lines "$T/maillog" "$from" > "$T/postern.log"
diff -u "$T/postfix.log" "$T/postern.log" || fail "postscreen log lines differ from Postfix's (- Postfix, + Postern)"
pass "the same postscreen log lines as Postfix's ($(wc -l < "$T/postern.log") lines; ports and times masked)"
