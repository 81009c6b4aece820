#!/bin/bash
# dns.sh - "postern dns" against a real resolver: unbound on 127.0.0.1.
#
# Usage: tests/dns.sh POSTERN_BINARY MODE [CASE...]
#   MODE golden       run testdata/dns/cases/* (text and json goldens)
#   MODE timeout      a resolver port that never answers: 50 domains must
#                     finish within --timeout (plus a little slack)
#   MODE concurrency  a resolver that delays every answer: 50 domains must
#                     take about as long as a few slow queries, not 250;
#                     then failover from a --resolver that never answers
#   MODE malformed    broken answers (short RDATA, compression loops,
#                     bad counts, garbage, wrong IDs) are reported, never
#                     crash
#   MODE docs         every PD rule has docs/rules/PDxxx.md (no resolver)
#   MODE serve        start the resolver and wait (debugging; with
#                     DNS_SH_NETNS=1 to stay in the host's namespace)
#
# The zones in testdata/dns/zones are served by two unbound instances on
# 127.0.0.1 and free ports: "auth" answers straight from the zones (as an
# authoritative server would, so broken signatures reach postern's own
# validator), "validating" resolves them through unbound's validator
# (AD bit, SERVFAIL for bogus data); a case picks it with a file
# "resolver" that says "validating". The
# example.test zones are signed here with ldns-keygen/ldns-signzone (so
# signatures are always fresh); some are then broken on purpose (bogus,
# expired, wrongds, stripsig). Nothing talks to any address but
# 127.0.0.1: the script re-runs itself in a private network namespace
# where only "lo" exists, when it can.
#
# Each case is testdata/dns/cases/CASE with
#   args      extra arguments (one line); @ANCHOR@ is the trust anchor file
#   main.cf   the configuration (@DIR@: the case's scratch directory,
#             @SRC@: the source tree); other files are copied along
#   want.txt, want.json, want.rc   expected output and exit status
#   want.err  expected stderr (without it, stderr must be empty)
#   resolver  optional: "validating" to ask the validating unbound
# Outputs are normalised (scratch directory -> @DIR@, tree -> @SRC@).
# --update (first argument) rewrites the want.* files (review the diff!).
# Exit 77 (skipped) when unbound or ldnsutils are missing.
set -u
. "$(dirname "$0")/golden_lib.sh"
golden_mode dns.sh dns_update "${1:-}" && shift
here=$(cd "$(dirname "$0")/.." && pwd)
bin=$(readlink -f "$1")
mode=$2
shift 2
export LC_ALL=C
PY=/usr/bin/python3
[ -x $PY ] || PY=python3

# Docs need no resolver: every rule of the table has docs/rules/ID.md.
if [ "$mode" = docs ]; then
    ids=$(grep -o '{"PD[0-9]*"' "$here/lib/tools/dnscheck/dnscheck_run.c" | tr -d '{"')
    pass=0 fail=0
    for id in $ids; do
        if grep -q "^# $id " "$here/docs/rules/$id.md" 2>/dev/null; then
            pass=$((pass + 1))
        else
            fail=$((fail + 1))
            echo "missing docs/rules/$id.md"
        fi
    done
    echo "dns docs: $pass passed, $fail failed"
    [ $fail = 0 ] && [ $pass -gt 0 ]
    exit
fi

for tool in unbound unbound-checkconf ldns-keygen ldns-signzone; do
    command -v $tool >/dev/null 2>&1 || PATH=$PATH:/usr/sbin
    command -v $tool >/dev/null 2>&1 || { echo "dns.sh: $tool missing: skipped" >&2; exit 77; }
done

# A private network namespace: only loopback, nothing can leak out.
if [ -z "${DNS_SH_NETNS:-}" ]; then
    ns=(-n)
    [ "$(id -u)" = 0 ] || ns=(-r -n)
    if unshare "${ns[@]}" true 2>/dev/null; then
        exec unshare "${ns[@]}" env DNS_SH_NETNS=1 bash -c \
            'ip link set lo up 2>/dev/null || true; exec bash "$0" "$@"' \
            "$0" $([ $update = 0 ] || echo --update) "$bin" "$mode" "$@"
    fi
    echo "dns.sh: no private network namespace; relying on loopback-only config" >&2
fi

tmp=$(mktemp -d /tmp/postern-dns.XXXXXX)
pids=()
# Sanitizer builds: lib/config/pcf keeps its tables until exit on purpose; any
# other leak (ours) still fails the run.
printf 'leak:pcf_load\n' >"$tmp/lsan.supp"
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$tmp/lsan.supp:print_suppressions=0}
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
    rm -rf "$tmp"
}
trap cleanup EXIT

free_port() {
    $PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# sign_zone ZONE [ldns-signzone options] - sign $tmp/zones/ZONE.zone;
# prints the KSK base name
sign_zone() {
    local zone=$1 zsk ksk
    shift
    zsk=$(ldns-keygen -a ECDSAP256SHA256 "$zone") || return 1
    ksk=$(ldns-keygen -a ECDSAP256SHA256 -k "$zone") || return 1
    ldns-signzone "$@" "$zone.zone" "$zsk" "$ksk" || return 1
    echo "$ksk"
}

setup_zones() {
    local exp ksk
    mkdir -p "$tmp/zones"
    cp "$here"/testdata/dns/zones/*.zone "$tmp/zones/"
    cd "$tmp/zones" || exit 2
    exp=$(date -u -d '+30 days' +%Y%m%d%H%M%S)
    : >ds
    ksk=$(sign_zone secure.example.test -e "$exp") && cat "$ksk.ds" >>ds
    ksk=$(sign_zone bogus.example.test -e "$exp") && cat "$ksk.ds" >>ds
    # Tampered after signing: mx's address no longer matches its RRSIG.
    awk -v OFS='\t' '$1 == "mx.bogus.example.test." && $4 == "A" { $5 = "192.0.2.30" } { print }' \
        bogus.example.test.zone.signed >t && mv t bogus.example.test.zone.signed
    ksk=$(sign_zone expired.example.test -i 20200101000000 -e 20200201000000) && cat "$ksk.ds" >>ds
    ksk=$(sign_zone stripsig.example.test -e "$exp") && cat "$ksk.ds" >>ds
    awk '!($4 == "RRSIG" && $5 == "MX")' stripsig.example.test.zone.signed >t &&
        mv t stripsig.example.test.zone.signed
    sign_zone wrongds.example.test -e "$exp" >/dev/null
    ksk=$(ldns-keygen -a ECDSAP256SHA256 -k wrongds.example.test) && cat "$ksk.ds" >>ds
    cat ds >>example.test.zone
    ksk=$(sign_zone example.test -e "$exp") || { echo "dns.sh: signing failed" >&2; exit 2; }
    cp "$ksk.ds" anchor.ds
    cd - >/dev/null || exit 2
}

# start_unbound KIND - KIND "auth" answers from the zones like an
# authoritative server (no validation: tampered data comes through, for
# postern's own validator); "validating" resolves through unbound's
# validator (AD bit, SERVFAIL for bogus data). Sets KIND_port.
start_unbound() {
    local kind=$1 conf=$tmp/unbound-$1.conf zf name p modules down up
    p=$(free_port)
    if [ "$kind" = auth ]; then
        modules=iterator down=yes up=no
    else
        modules="validator iterator" down=no up=yes
    fi
    {
        cat <<EOF
server:
    interface: 127.0.0.1
    port: $p
    do-daemonize: no
    username: ""
    chroot: ""
    directory: "$tmp"
    pidfile: ""
    use-syslog: no
    logfile: "$tmp/unbound-$kind.log"
    verbosity: 1
    do-ip6: no
    do-not-query-localhost: no
    outgoing-interface: 127.0.0.1
    module-config: "$modules"
    trust-anchor-file: "$tmp/zones/anchor.ds"
    trust-anchor-signaling: no
    root-key-sentinel: no
    local-zone: "." refuse
EOF
        for zf in "$tmp"/zones/*.zone; do
            name=$(basename "$zf" .zone)
            echo "    local-zone: \"$name.\" transparent"
        done
        for zf in "$tmp"/zones/*.zone; do
            name=$(basename "$zf" .zone)
            [ -f "$zf.signed" ] && zf=$zf.signed
            cat <<EOF
auth-zone:
    name: "$name."
    zonefile: "$zf"
    for-downstream: $down
    for-upstream: $up
    fallback-enabled: no
EOF
        done
        cat <<EOF
remote-control:
    control-enable: no
EOF
    } >"$conf"
    unbound-checkconf "$conf" >/dev/null || { echo "dns.sh: bad $conf" >&2; exit 2; }
    unbound -d -c "$conf" &
    pids+=($!)
    # Ready when the SOA of a test zone comes back over TCP.
    for _ in $(seq 100); do
        if $PY - "$p" <<'EOF' 2>/dev/null; then
import socket, struct, sys
q = struct.pack(">HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0)
q += b"".join(bytes([len(l)]) + l.encode() for l in ["example", "com"]) + b"\0"
q += struct.pack(">HH", 6, 1)
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=0.5)
s.sendall(struct.pack(">H", len(q)) + q)
r = s.recv(4096)
sys.exit(0 if len(r) > 6 and (r[5] & 0x0f) == 0 else 1)
EOF
            eval "${kind}_port=$p"
            return 0
        fi
        sleep 0.05
    done
    echo "dns.sh: unbound ($kind) did not start" >&2
    cat "$tmp/unbound-$kind.log" >&2
    exit 2
}

# run_case NAME - one golden case, text and json
run_case() {
    local c=$1 src=$here/testdata/dns/cases/$1 d=$tmp/run/$1 fmt bad="" rc args
    mkdir -p "$d"
    for f in "$src"/*; do
        case $(basename "$f") in want.*) ;; *) cp "$f" "$d/" ;; esac
    done
    for f in "$d"/*; do
        sed -i -e "s|@DIR@|$d|g" -e "s|@SRC@|$here|g" -e "s|@ANCHOR@|$tmp/zones/anchor.ds|g" "$f"
    done
    args=$(cat "$d/args" 2>/dev/null)
    port=$auth_port
    [ "$(cat "$d/resolver" 2>/dev/null)" = validating ] && port=$validating_port
    for fmt in txt json; do
        # shellcheck disable=SC2086
        # A case may run another command (file "command", e.g. "lint --dns").
        (cd "$d" && "$bin" $(cat "$d/command" 2>/dev/null || echo dns) -c . \
            --resolver "127.0.0.1:$port" --timeout 2 --retries 0 \
            --format ${fmt/txt/text} $args) >"$d/.out" 2>"$d/.err"
        rc=$?
        sed -i -e "s|$d|@DIR@|g" -e "s|$here|@SRC@|g" "$d/.out" "$d/.err"
        if [ $update = 1 ]; then
            cp "$d/.out" "$src/want.$fmt"
            echo $rc >"$src/want.rc"
            if [ -s "$d/.err" ]; then cp "$d/.err" "$src/want.err"; else rm -f "$src/want.err"; fi
        fi
        cmp -s "$d/.out" "$src/want.$fmt" || bad="$bad $fmt"
        [ "$rc" = "$(cat "$src/want.rc" 2>/dev/null)" ] || bad="$bad rc=$rc"
        if [ -f "$src/want.err" ]; then
            cmp -s "$d/.err" "$src/want.err" || bad="$bad stderr"
        elif [ -s "$d/.err" ]; then
            bad="$bad stderr"
        fi
        if [ -n "$bad" ]; then
            echo "FAIL $c:$bad"
            diff -u "$src/want.$fmt" "$d/.out" | head -40
            head -5 "$d/.err"
            return 1
        fi
    done
    return 0
}

# formats - the other output formats parse and keep the exit status
check_formats() {
    local d=$tmp/run/formats fmt rc bad=0
    mkdir -p "$d"
    printf 'mynetworks = 127.0.0.0/8\nmyhostname = mail.example.com\nmydestination = nullmx.example.com ok.example.com\n' >"$d/main.cf"
    for fmt in sarif checkstyle junit github gitlab; do
        (cd "$d" && "$bin" dns -c . --resolver "127.0.0.1:$auth_port" --timeout 2 --retries 0 \
            --checks mx --public-ip 192.0.2.10 --format $fmt) >"$d/out.$fmt" 2>"$d/err"
        rc=$?
        case $fmt in
        sarif | gitlab) $PY -m json.tool "$d/out.$fmt" >/dev/null || bad=1 ;;
        checkstyle | junit) $PY -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' "$d/out.$fmt" || bad=1 ;;
        github) grep -q '^::error file=main.cf,line=3,title=PD004::' "$d/out.$fmt" || bad=1 ;;
        esac
        grep -q PD004 "$d/out.$fmt" || bad=1
        [ $rc = 1 ] || bad=1
        [ $bad = 0 ] || { echo "FAIL formats: $fmt (rc $rc)"; cat "$d/out.$fmt" "$d/err"; return 1; }
    done
    echo "formats: sarif, checkstyle, junit, github, gitlab ok"
}

# fifty - a main.cf receiving for c01..c50.many.example.com
fifty() {
    local d=$1 i list=""
    mkdir -p "$d"
    for i in $(seq -w 1 50); do list="$list c$i.many.example.com"; done
    printf 'mynetworks = 127.0.0.0/8\nmyhostname = mail.example.com\nmydestination =%s\n' "$list" >"$d/main.cf"
}

now() { date +%s.%N; }

case $mode in
golden)
    setup_zones
    start_unbound auth
    start_unbound validating
    cases=("$@")
    if [ ${#cases[@]} = 0 ]; then
        for d in "$here"/testdata/dns/cases/*/; do cases+=("$(basename "$d")"); done
    fi
    pass=0 fail=0
    t0=$(now)
    for c in "${cases[@]}"; do
        if run_case "$c"; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
    done
    if [ $# = 0 ]; then
        if check_formats; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
    fi
    echo "dns golden: $pass passed, $fail failed ($(echo "$(now) - $t0" | bc) s)"
    [ $fail = 0 ]
    ;;
timeout)
    # A UDP port that is bound but never read: every query times out.
    exec 3< <($PY -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1], flush=True)
time.sleep(120)')
    pids+=($!)
    read -r port <&3
    d=$tmp/timeout
    fifty "$d"
    t0=$(now)
    (cd "$d" && "$bin" dns -c . --resolver "127.0.0.1:$port" --timeout 1 --retries 0 --format json) >"$d/out" 2>"$d/err"
    rc=$?
    el=$(echo "$(now) - $t0" | bc)
    n=$(grep -c '"rule": "PD001"' "$d/out")
    echo "dns timeout: rc $rc, $n PD001 findings, ${el} s (timeout 1 s)"
    [ $rc = 1 ] && [ "$n" -ge 50 ] && [ "$(echo "$el < 1.9" | bc)" = 1 ] || { cat "$d/err"; exit 1; }
    ;;
concurrency)
    setup_zones
    start_unbound auth
    port=$auth_port
    # A proxy that holds every query for 0.3 s before passing it on.
    exec 3< <($PY -c '
import socket, sys, threading, time
up = ("127.0.0.1", int(sys.argv[1]))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1], flush=True)
def relay(data, peer):
    time.sleep(0.3)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.settimeout(3)
    u.sendto(data, up)
    try:
        s.sendto(u.recv(65535), peer)
    except OSError:
        pass
while True:
    data, peer = s.recvfrom(65535)
    threading.Thread(target=relay, args=(data, peer), daemon=True).start()' "$port")
    pids+=($!)
    read -r slow <&3
    d=$tmp/concurrency
    fifty "$d"
    t0=$(now)
    (cd "$d" && "$bin" dns -c . --resolver "127.0.0.1:$slow" --timeout 3 --retries 0 \
        --public-ip 192.0.2.10 --format json) >"$d/out" 2>"$d/err"
    rc=$?
    el=$(echo "$(now) - $t0" | bc)
    n=$(grep -c '"rule": "PD001"' "$d/out")
    m=$(grep -c '"rule": "PD030"' "$d/out")
    echo "dns concurrency: rc $rc, 50 domains, $m DMARC findings, $n failures, ${el} s (0.3 s per query; one at a time would be over 75 s)"
    [ "$n" = 0 ] && [ "$m" -ge 50 ] && [ "$(echo "$el < 4" | bc)" = 1 ] || { cat "$d/err"; exit 1; }

    # Failover: the first --resolver never answers; after its first
    # timeout it is skipped, so the run costs about one timeout.
    exec 4< <($PY -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1], flush=True)
time.sleep(120)')
    pids+=($!)
    read -r dead <&4
    t0=$(now)
    (cd "$d" && "$bin" dns -c . --resolver "127.0.0.1:$dead" --resolver "127.0.0.1:$port" \
        --timeout 1 --retries 0 --public-ip 192.0.2.10 --format json) >"$d/out2" 2>"$d/err2"
    el=$(echo "$(now) - $t0" | bc)
    n=$(grep -c '"rule": "PD001"' "$d/out2")
    m=$(grep -c '"rule": "PD030"' "$d/out2")
    echo "dns failover: first resolver dead, $m DMARC findings, $n failures, ${el} s (timeout 1 s)"
    [ "$n" = 0 ] && [ "$m" -ge 50 ] && [ "$(echo "$el < 2.5" | bc)" = 1 ] || { cat "$d/err2"; exit 1; }
    ;;
malformed)
    # A responder that answers with broken packets: short RDATA (MX,
    # TLSA, RRSIG), a TXT length past the RDATA, a compression loop,
    # counts that promise more records than there are, garbage, a wrong
    # ID. postern must report, not crash (run under the sanitizers too).
    exec 3< <($PY -c '
import os, socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1], flush=True)
def rr(rtype, rdata, name=b"\xc0\x0c"):
    return name + struct.pack(">HHIH", rtype, 1, 300, len(rdata)) + rdata
while True:
    q, peer = s.recvfrom(4096)
    if len(q) < 17:
        continue
    qid = struct.unpack(">H", q[:2])[0]
    end = 12
    while end < len(q) and q[end]:
        end += q[end] + 1
    qname = q[12:end + 1]
    labels = []
    i = 12
    while i < end:
        labels.append(q[i + 1:i + 1 + q[i]].decode("ascii", "replace").lower())
        i += q[i] + 1
    name = ".".join(labels)
    qtype = struct.unpack(">H", q[end + 1:end + 3])[0]
    question = q[12:end + 5]
    first = labels[0] if labels else ""
    owner = labels[1] if first.startswith("_") and len(labels) > 2 else first
    ans, rcode, an, flags = [], 0, None, 0x8180
    if first == "mx" and qtype == 1:
        ans = [rr(1, bytes([192, 0, 2, 10]))]
    elif owner == "short-mx" and qtype == 15:
        ans = [rr(15, b"\x00")]
    elif owner == "loop" and qtype == 15:
        ans = [rr(15, b"\x00\x0a\xc0\x0c", name=b"\xc0" + bytes([12 + len(question)]))]
    elif owner == "bad-txt" and qtype == 16:
        ans = [rr(16, b"\xc8v=spf")]
    elif owner == "count" :
        an = 65535
    elif owner == "garbage":
        s.sendto(q[:2] + os.urandom(200), peer)
        continue
    elif owner == "wrongid":
        qid ^= 0xffff
    elif qtype == 15 and owner in ("short-tlsa", "short-rrsig", "bad-txt"):
        ans = [rr(15, b"\x00\x0a\x02mx" + qname)]
        if owner == "short-rrsig":
            ans.append(rr(46, b"\x00\x0f\x0d"))
    elif qtype == 52 and "short-tlsa" in labels:
        ans = [rr(52, b"\x03\x01")]
    else:
        rcode = 3
    hdr = struct.pack(">HHHHHH", qid, flags | rcode, 1,
                      len(ans) if an is None else an, 0, 0)
    s.sendto(hdr + question + b"".join(ans), peer)')
    pids+=($!)
    read -r port <&3
    d=$tmp/malformed
    mkdir -p "$d"
    list=""
    for n in short-mx loop bad-txt count garbage wrongid short-tlsa short-rrsig; do
        list="$list $n.example.com"
    done
    printf 'mynetworks = 127.0.0.0/8\nmyhostname = mail.example.com\nmydestination =%s\nsmtpd_tls_cert_file = %s\n' \
        "$list" "$here/testdata/dns/certs/ee.pem" >"$d/main.cf"
    echo "example.com. IN DS 12345 13 2 0000000000000000000000000000000000000000000000000000000000000000" >"$d/anchor.ds"
    t0=$(now)
    (cd "$d" && "$bin" dns -c . --resolver "127.0.0.1:$port" --timeout 1 --retries 0 \
        --public-ip 192.0.2.10 --trust-anchor anchor.ds) >"$d/out" 2>"$d/err"
    rc=$?
    el=$(echo "$(now) - $t0" | bc)
    n=$(grep -c '^main.cf' "$d/out")
    echo "dns malformed: rc $rc, $n findings, ${el} s"
    [ $rc = 1 ] && [ ! -s "$d/err" ] && [ "$n" -ge 8 ] || { cat "$d/out" "$d/err"; exit 1; }
    ;;
serve)
    # For debugging: serve the test zones until killed.
    setup_zones
    start_unbound auth
    start_unbound validating
    echo "dns.sh: unbound on 127.0.0.1:$auth_port (auth) and :$validating_port (validating), trust anchor $tmp/zones/anchor.ds"
    echo "127.0.0.1:$auth_port 127.0.0.1:$validating_port $tmp/zones/anchor.ds" >"${DNS_SH_SERVE_FILE:-/dev/null}"
    wait
    ;;
*)
    echo "usage: dns.sh POSTERN golden|timeout|concurrency|malformed|docs|serve [CASE...]" >&2
    exit 2
    ;;
esac
