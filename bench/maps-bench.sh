#!/bin/bash
# maps-bench.sh - lookups per second of "postmap -q - TYPE:FILE < keys",
# Postern's (the postmap link) against Postfix 3.7's /usr/sbin/postmap, on
# the same files: hash, lmdb, cdb (each built once by Postfix's postmap
# and read by both), pcre and cidr (the rule files as they are).
#
#   bench/maps-bench.sh build/bin/postern [ENTRIES] [LOOKUPS] [ROUNDS]
#
# The keys: LOOKUPS random keys, three in four present. One line per type
# and program: the best of ROUNDS runs (wall clock, the whole process:
# start, open, lookups, output), as lookups/s.
set -u
BIN=$(readlink -f "${1:?postern binary}")
N=${2:-100000}
Q=${3:-200000}
R=${4:-3}
PF=/usr/sbin/postmap
[ -x $PF ] || { echo "need Postfix's $PF" >&2; exit 1; }
T=$(mktemp -d /tmp/maps-bench.XXXXXX)
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/cf" "$T/bin"
: >"$T/cf/main.cf"
export MAIL_CONFIG=$T/cf
ln -s "$BIN" "$T/bin/postmap"
cd "$T" || exit 1
awk -v n="$N" 'BEGIN { for (i = 0; i < n; i++) printf "user%d@example%d.com relay:[mx%d.example.net]\n", i, i % 97, i % 13 }' >t
awk -v n="$N" -v q="$Q" 'BEGIN { srand(42); for (i = 0; i < q; i++) printf "user%d@example%d.com\n", int(rand() * n * 4 / 3), int(rand() * 97) }' >keys
# the keys' domain part must match for a hit: make three in four real
awk -v n="$N" 'BEGIN { srand(7) } { split($0, a, "@"); k = substr(a[1], 5) + 0; if (k < n) printf "user%d@example%d.com\n", k, k % 97; else print }' keys >k2 && mv k2 keys
# pcre and cidr: 200 rules each, the keys they see
awk 'BEGIN { for (i = 0; i < 200; i++) printf "/^user%d[0-9]*@example1\\.com$/ OK%d\n", i, i }' >p
awk 'BEGIN { for (i = 0; i < 200; i++) printf "10.%d.0.0/16 OK%d\n", i, i }' >c
awk -v q="$Q" 'BEGIN { srand(3); for (i = 0; i < q; i++) printf "10.%d.%d.%d\n", int(rand() * 256), int(rand() * 256), int(rand() * 256) }' >ips
for ty in hash lmdb cdb; do $PF $ty:t || exit 1; done

best() { # best CMD...: the shortest wall time of R runs, seconds
    local b=999999 s e
    for _ in $(seq "$R"); do
        s=$(date +%s.%N)
        "$@" >/dev/null 2>&1
        e=$(date +%s.%N)
        b=$(echo "$e - $s" | bc -l | awk -v b="$b" '{ print ($1 < b) ? $1 : b }')
    done
    echo "$b"
}
printf '%-6s %12s %12s %8s\n' type Postfix/s Postern/s ratio
for spec in hash:t lmdb:t cdb:t pcre:p cidr:c; do
    in=keys
    [ "${spec%%:*}" = cidr ] && in=ips
    hits_pf=$($PF -q - $spec <$in | wc -l)
    hits_pt=$("$T/bin/postmap" -q - $spec <$in | wc -l)
    [ "$hits_pf" = "$hits_pt" ] || echo "warning: $spec: $hits_pf hits (Postfix) vs $hits_pt (Postern)" >&2
    a=$(best sh -c "$PF -q - $spec <$in")
    b=$(best sh -c "$T/bin/postmap -q - $spec <$in")
    printf '%-6s %12.0f %12.0f %8.2f\n' "${spec%%:*}" "$(echo "$Q / $a" | bc -l)" \
        "$(echo "$Q / $b" | bc -l)" "$(echo "($Q / $b) / ($Q / $a)" | bc -l)"
done
echo "($N entries, $Q lookups, best of $R; hits: $hits_pf of $Q for the last)"
