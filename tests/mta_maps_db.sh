#!/usr/bin/env bash
# mta_maps_db.sh - issue 20: the daemons read a hash: table built by
# Postfix's own postalias (/usr/sbin/postalias): the database, not the
# source (an alias only in the .db is found), and a rebuilt .db restarts
# them (Postfix watches the database file too).
#
#   mta_maps_db.sh BIN
set -u
BIN=$1
. "$(dirname "$0")/mta_lib.sh"
[ -x /usr/sbin/postalias ] || { echo "skip: /usr/sbin/postalias (Postfix 3.7) is not installed"; exit 77; }

mta_setup "alias_maps = hash:\$config_directory/aliases"
A=$T/etc/aliases
# Postfix's programs get a main.cf of their own (the instance's has
# settings of Postern's they would refuse)
mkdir -p "$T/pf" && : >"$T/pf/main.cf"
mta_start

rcpt() {
    $PY - "$PORT" "$@" <<'PY'
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=20)
s.ehlo("client.example.test")
s.mail("sender@example.test")
for r in sys.argv[2:]:
    code, text = s.rcpt(r)
    print(r, code)
s.rset()
s.quit()
PY
}

# no database yet: the source is read, with a warning
out=$(rcpt dbonly@local.test alice@local.test) || fail "SMTP: $out"
echo "$out" | grep -q '^alice@local.test 250$' || fail "source not read: $out"
echo "$out" | grep -q '^dbonly@local.test 550$' || fail "dbonly before any database: $out"
wait_log "warning: database $A\.db is missing: reading source file $A instead; run \"postmap hash:$A\"" 1 10
pass "no aliases.db: the source is read, with a warning to run postmap"

# the database appears (built by Postfix's postalias elsewhere, moved in:
# the source itself is not touched); it has "dbonly", the source has not
mkdir -p "$T/build"
cp "$A" "$T/build/aliases"
echo "dbonly: alice" >>"$T/build/aliases"
MAIL_CONFIG=$T/pf /usr/sbin/postalias "hash:$T/build/aliases" 2>"$T/pa.err" ||
    { cat "$T/pa.err"; fail "Postfix's postalias"; }
chown nobody "$T/build/aliases.db" 2>/dev/null
mv "$T/build/aliases.db" "$A.db"
ok=
for _ in $(seq 20); do
    out=$(rcpt dbonly@local.test nosuch@local.test 2>&1)
    echo "$out" | grep -q '^dbonly@local.test 250$' && { ok=1; break; }
    sleep 0.5
done
[ -n "$ok" ] || fail "an alias only in Postfix's aliases.db was refused: $out"
echo "$out" | grep -q '^nosuch@local.test 550$' || fail "an unknown name accepted: $out"
pass "smtpd reads aliases.db built by Postfix's postalias, not its source"

# Postfix's postalias rebuilds it: the daemons restart and see the change
sleep 1.1
printf 'newone: bob\n' >>"$A"
MAIL_CONFIG=$T/pf /usr/sbin/postalias "hash:$A" 2>"$T/pa.err" ||
    { cat "$T/pa.err"; fail "Postfix's postalias (rebuild)"; }
ok=
for _ in $(seq 20); do
    out=$(rcpt newone@local.test dbonly@local.test 2>&1)
    echo "$out" | grep -q '^newone@local.test 250$' && { ok=1; break; }
    sleep 0.5
done
[ -n "$ok" ] || fail "the rebuilt aliases.db was not seen: $out"
echo "$out" | grep -q '^dbonly@local.test 550$' || fail "the old database still answers: $out"
pass "a rebuilt aliases.db: the daemons read the new one"
