#!/bin/bash
# mta_classify - "postern check" classifies every setting, and "postern
# start" refuses one that Postern does not implement when ignoring it
# would change where mail goes (here relocated_maps, the moved-users table),
# unless --allow-unimplemented, which starts and logs it to the maillog.
#
# Usage: tests/mta_classify.sh POSTERN_BINARY
set -u
BIN=$1
. "$(dirname "$0")/mta_lib.sh"

mta_setup
# a service Postern does not run (Postfix's fast flush)
echo "flush     unix  n       -       n      1000?  0       flush" >> "$T/etc/master.cf"
# a warning alone: check exits 0, start starts
printf 'smtpd_tls_received_header = yes\nbiff = no\n' >> "$T/etc/main.cf"
"${AS[@]}" "$BIN" check -c "$T/etc" 2> "$T/check.err" ||
    { cat "$T/check.err"; fail "check with only a warning exit $?"; }
grep -q "^postern: warning: $T/etc/main.cf:[0-9]*: smtpd_tls_received_header = yes: not implemented by Postern$" \
    "$T/check.err" || { cat "$T/check.err"; fail "warning for smtpd_tls_received_header"; }
grep -q "biff" "$T/check.err" && fail "biff = no is what Postern does, yet reported"
pass "a setting Postern does not honour, harmless: warning, check exits 0; biff = no (what Postern does) not reported"

# an error: check exits 1 and names file, line and parameter
echo "someone@example.test someone@example.org" > "$T/etc/relocated"
echo "relocated_maps = texthash:$T/etc/relocated" >> "$T/etc/main.cf"
line=$(grep -n relocated_maps "$T/etc/main.cf" | cut -d: -f1)
"${AS[@]}" "$BIN" check -c "$T/etc" 2> "$T/check.err" &&
    fail "check accepted relocated_maps"
grep -qF "postern: error: $T/etc/main.cf:$line: relocated_maps = texthash:$T/etc/relocated: not implemented by Postern (relocated users)" \
    "$T/check.err" || { cat "$T/check.err"; fail "error message"; }
pass "relocated_maps: check exits 1, naming main.cf:$line"

# --json: the whole classification, one document
"${AS[@]}" "$BIN" check -c "$T/etc" --json > "$T/check.json" 2> /dev/null &&
    fail "check --json exit 0 with an error"
$PY - "$T/check.json" "$T/etc/main.cf" "$line" <<'PY' || fail "check --json"
import json, sys
doc = json.load(open(sys.argv[1]))
notes = {(n['service'], n['parameter']): n for n in doc['notes']}
sasl = notes[(None, 'relocated_maps')]
assert sasl['status'] == 'error' and sasl['file'] == sys.argv[2], sasl
assert sasl['line'] == int(sys.argv[3]), sasl
assert notes[(None, 'mynetworks')]['status'] == 'honoured'
assert notes[(None, 'mynetworks')]['daemons'] == ['cleanup', 'postscreen', 'smtpd']
assert notes[(None, 'smtpd_tls_received_header')]['status'] == 'warning'
assert notes[(None, 'biff')]['status'] == 'honoured'
assert notes[('flush/unix', None)]['status'] == 'warning'
assert doc['summary']['error'] == 1, doc['summary']
PY
pass "check --json: status, daemons, file and line per setting"

# start refuses: exit 1, nothing started
"${AS[@]}" "$BIN" start -c "$T/etc" 2> "$T/start.err" &&
    fail "start accepted relocated_maps"
grep -qF "relocated_maps = texthash:$T/etc/relocated: not implemented by Postern (relocated users); refusing to start" \
    "$T/start.err" || { cat "$T/start.err"; fail "start message"; }
[ -e "$T/queue/pid/master.pid" ] && fail "start left a pid file"
$PY -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' \
    "$PORT" 2>/dev/null && fail "something listens on $PORT"
pass "start refuses it: exit 1, nothing listening"

# --allow-unimplemented: starts, and the maillog names the setting
"${AS[@]}" "$BIN" start -c "$T/etc" --allow-unimplemented 2> "$T/start.err" ||
    { cat "$T/start.err"; fail "start --allow-unimplemented"; }
grep -qF "relocated_maps = texthash:$T/etc/relocated: not implemented by Postern (relocated users); starting anyway" \
    "$T/start.err" || { cat "$T/start.err"; fail "start --allow-unimplemented message"; }
for _ in $(seq 50); do
    $PY -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' \
        "$PORT" 2>/dev/null && break
    sleep 0.1
done
grep -q "warning: $T/etc/main.cf:$line: relocated_maps = texthash:$T/etc/relocated: not implemented by Postern (relocated users); started anyway (--allow-unimplemented)" \
    "$T/maillog" || { cat "$T/maillog"; fail "maillog warning"; }
pass "start --allow-unimplemented starts and logs the setting to the maillog"
mta_stop

# master.cf: an -o setting, and an inet service Postern does not run
cat >> "$T/etc/master.cf" <<MC
127.0.0.1:$((PORT + 1)) inet n - n - - smtpd -o smtpd_proxy_filter=127.0.0.1:9
127.0.0.1:$((PORT + 2)) inet n - n - - qmqpd
MC
sed -i '/relocated_maps/d' "$T/etc/main.cf"
ml=$(grep -n smtpd_proxy_filter "$T/etc/master.cf" | cut -d: -f1)
sl=$(grep -n qmqpd "$T/etc/master.cf" | cut -d: -f1)
"${AS[@]}" "$BIN" check -c "$T/etc" 2> "$T/check.err" && fail "check accepted master.cf"
grep -qF "master.cf:$ml: 127.0.0.1:$((PORT + 1))/inet: -o smtpd_proxy_filter = 127.0.0.1:9: not implemented by Postern (before-queue content filter)" \
    "$T/check.err" || { cat "$T/check.err"; fail "-o smtpd_proxy_filter"; }
grep -qF "master.cf:$sl: service 127.0.0.1:$((PORT + 2))/inet runs \"qmqpd\", which Postern does not implement: clients of this address get no service" \
    "$T/check.err" || { cat "$T/check.err"; fail "inet qmqpd"; }
pass "master.cf: -o smtpd_proxy_filter and an inet qmqpd service are errors with their line"

# postscreen on an inet port without the "smtpd pass" entry master hands
# its clients to: nobody would serve them, an error
echo "127.0.0.1:$((PORT + 3)) inet n - n - 1 postscreen" >> "$T/etc/master.cf"
pl=$(grep -n postscreen "$T/etc/master.cf" | cut -d: -f1)
"${AS[@]}" "$BIN" check -c "$T/etc" 2> "$T/check.err" && fail "check accepted postscreen"
grep -qF "postern: error: $T/etc/master.cf:$pl: service 127.0.0.1:$((PORT + 3))/inet runs \"postscreen\", and there is no \"smtpd pass\" entry to serve its clients" \
    "$T/check.err" || { cat "$T/check.err"; fail "postscreen without pass"; }
echo "smtpd pass - - n - - smtpd" >> "$T/etc/master.cf"
"${AS[@]}" "$BIN" check -c "$T/etc" --json 2> /dev/null > "$T/check.json"
$PY - "$T/check.json" "$((PORT + 3))" <<'PY' || fail "postscreen with pass"
import json, sys
doc = json.load(open(sys.argv[1]))
n = [n for n in doc['notes'] if n['service'] == '127.0.0.1:%s/inet' % sys.argv[2]]
assert len(n) == 1 and n[0]['status'] == 'honoured', n
assert "postscreen runs as the front process" in n[0]['message'], n
PY
pass "postscreen: an error without an \"smtpd pass\" entry, honoured with one"
