#!/bin/bash
# dialogues.sh BIN golden|diff|record|record-log [FILE.dlg...] - the SMTP
# dialogue tests (tests/dialogues/README).
#
# golden: one unprivileged Postern instance (tests/mta_lib.sh) serving
#   every service of tests/dialogues/services; each dialogue's replies
#   must be the file's.
# diff: the same, plus an isolated real Postfix instance configured
#   alike (root only, exit 77 otherwise): each dialogue runs against
#   both and each server's replies must be the file's, so the files
#   stay true to Postfix 3.7 and Postern must match them.
# record: as diff, but prints the dialogues with Postfix's replies in
#   place of the '<' lines (for writing new files); not a test.
# record-log: as diff over all files, but first rewrites maillog.expected
#   from Postfix's log (build target mta_dialogues_log_update); not a test.
#   The environment variables RECORD and RECORD_LOG are refused: a test
#   run never rewrites or replaces what it checks.
# KEEP=1 keeps the scratch directories (logs) for a look.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$1 MODE=$2
shift 2
D=$HERE/dialogues
if [ -n "${RECORD+x}${RECORD_LOG+x}" ]; then
    echo "dialogues.sh: RECORD and RECORD_LOG are not honoured: use the modes record and record-log" >&2
    exit 1
fi
RECORD= RECORD_LOG=
case $MODE in
golden | diff) ;;
record) RECORD=1 MODE=diff ;;
record-log) RECORD_LOG=1 MODE=diff ;;
*) echo "dialogues.sh: unknown mode $MODE" >&2; exit 2 ;;
esac
FILES=("$@")
[ ${#FILES[@]} -gt 0 ] || FILES=("$D"/*.dlg)
. "$HERE/mta_lib.sh"

if [ "$MODE" = diff ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "skip: the Postfix side runs a real Postfix instance, which needs root"
        exit 77
    fi
    [ -x /usr/lib/postfix/sbin/master ] && command -v postfix >/dev/null || {
        echo "skip: Postfix is not installed"; exit 77; }
fi

# services: "NAME [-o a=b ...]" lines
mapfile -t SVC < <(grep -v '^#' "$D/services" | grep -v '^[[:space:]]*$')
NSVC=${#SVC[@]}

# base_port N: a port P with P..P+N-1 all free (below the ephemeral range)
base_port() {
    $PY - "$1" <<'PY'
import random, socket, sys
n = int(sys.argv[1])
while True:
    p = random.randint(20000, 32000 - n)
    socks = []
    try:
        for i in range(n):
            s = socket.socket()
            socks.append(s)
            s.bind(("127.0.0.1", p + i))
        print(p)
        break
    except OSError:
        pass
    finally:
        for s in socks:
            s.close()
PY
}

# listeners BASE: the master.cf lines of every service
listeners() {
    local i=0 line name opts
    for line in "${SVC[@]}"; do
        read -r name opts <<<"$line"
        echo "127.0.0.1:$(($1 + i)) inet n - n - - smtpd ${opts}"
        i=$((i + 1))
    done
}

# wait_port PORT: until something accepts there (5 s)
wait_port() {
    for _ in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.05
    done
    fail "nothing listens on 127.0.0.1:$1"
}

# the domain classes of the vhost service's dialogues: main.cf, not -o,
# because Postfix's trivial-rewrite (a process of its own) decides them
VDOMAINS=("virtual_alias_domains = alias.test, catch.test"
    "virtual_mailbox_domains = vhost.test" "relay_domains = relay.test")

# --- Postern, configured as mta_lib.sh does, one listener per service
mta_setup "${VDOMAINS[@]}"
NBASE=$(base_port "$NSVC")
sed -i '/ inet /d' "$T/etc/master.cf"
listeners "$NBASE" >> "$T/etc/master.cf"
cp "$D/access" "$D/valias" "$D/vmailbox" "$D/relayrcpt" "$T/etc/"
# the vhost service's virtual and relay domains need their agents
cat >> "$T/etc/master.cf" <<MC
virtual   unix  -       n       n      -      -       virtual
relay     unix  -       -       n      -      -       smtp
MC
# the tls* services' certificate, for both servers (made now: no key in git)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -subj /CN=mx.example.test -days 2 -keyout "$T/etc/key.pem" \
    -out "$T/etc/cert.pem" >/dev/null 2>&1 || fail "openssl req"
[ "$(id -u)" = 0 ] && chown nobody "$T/etc/master.cf" "$T/etc/access" \
    "$T/etc/valias" "$T/etc/vmailbox" "$T/etc/relayrcpt" \
    "$T/etc/key.pem" "$T/etc/cert.pem"
mta_start
wait_port $((NBASE + NSVC - 1))
TARGETS=(--target "postern=127.0.0.1:$NBASE")

# --- Postfix (tests/postfix_peer.sh): the same main.cf settings; mail
# it accepts is discarded
. "$HERE/postfix_peer.sh"
PF=
stop_postfix() {
    [ -n "$PF" ] || return 0
    pf_stop "$PF"
    if [ -n "${KEEP:-}" ]; then echo "kept $PF"; else rm -rf "$PF"; fi
}
trap 'stop_postfix; cleanup_instance' EXIT

if [ "$MODE" = diff ]; then
    PF=$(mktemp -d /tmp/dialogues-postfix.XXXXXX)
    chmod 755 "$PF"
    mkdir -p "$PF/etc"
    PBASE=$(base_port "$NSVC")
    # the settings of tests/mta_lib.sh's main.cf, Postfix's own paths
    {
        pf_main_cf "$PF"
        cat <<CF
myhostname = mx.example.test
mydomain = example.test
myorigin = local.test
mydestination = local.test, localhost
mynetworks = 127.0.0.1/32
alias_maps = texthash:$PF/etc/aliases
alias_database =
local_recipient_maps = \$alias_maps
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_peername_lookup = no
smtpd_tls_security_level = none
biff = no
# nothing leaves: accepted mail is discarded
local_transport = discard
default_transport = discard
relay_transport = discard
virtual_transport = discard
CF
        printf '%s\n' "${VDOMAINS[@]}"
    } > "$PF/etc/main.cf"
    # texthash keys end at white space: the aliases without their colons
    sed 's/^\([^:]*\):/\1/' "$T/etc/aliases" > "$PF/etc/aliases"
    cp "$D/access" "$D/valias" "$D/vmailbox" "$D/relayrcpt" "$PF/etc/"
    cp "$T/etc/key.pem" "$T/etc/cert.pem" "$PF/etc/"
    chown root "$PF/etc/key.pem" "$PF/etc/cert.pem"
    mapfile -t PLISTEN < <(listeners "$PBASE")
    pf_master_cf "${PLISTEN[@]}" > "$PF/etc/master.cf"
    pf_start "$PF" $((PBASE + NSVC - 1)) || fail "Postfix peer"
    TARGETS=(--target "postfix=127.0.0.1:$PBASE" "${TARGETS[@]}")
fi

$PY "$D/run.py" "${TARGETS[@]}" ${RECORD:+--record} "${FILES[@]}"
rc=$?
[ -n "$RECORD" ] && exit $rc
[ $rc = 0 ] || { echo "--- Postern maillog"; tail -n 30 "$T/maillog"; }

# settled LOG: until the file stops growing (the last sessions' lines)
settled() {
    local a b
    for _ in $(seq 20); do
        a=$(wc -c < "$1"); sleep 0.3; b=$(wc -c < "$1")
        [ "$a" = "$b" ] && return 0
    done
}
# the log lines, for the whole set of dialogues only
if [ $# = 0 ]; then
    if [ -n "$PF" ]; then
        settled "$PF/maillog"
        if [ -n "$RECORD_LOG" ]; then
            $PY "$D/logcheck.py" --record - "$PF/maillog" \
                > "$D/maillog.expected" || exit 1
            echo "rewrote $D/maillog.expected (read its git diff)"
        fi
        $PY "$D/logcheck.py" "$D/maillog.expected" "$PF/maillog" || rc=1
    fi
    settled "$T/maillog"
    $PY "$D/logcheck.py" --allow "$D/log-allow" "$D/maillog.expected" \
        "$T/maillog" || rc=1
elif [ -n "$RECORD_LOG" ]; then
    echo "dialogues.sh: record-log needs all the files (no FILE arguments)" >&2
    exit 2
fi
exit $rc
