#!/bin/sh
# run.sh BUILD_DIR SECONDS - run every libFuzzer target briefly.
# Seeds: corpus main.cf/master.cf files for fuzz_conf, the macro test
# inputs for fuzz_mac, the schema YAML for fuzz_schema, SMTP sessions
# and server replies under testdata/fuzz for fuzz_smtpd and
# fuzz_smtp_reply, Dovecot auth handshakes and replies for
# fuzz_dovecot_auth, cleanup sessions, qmgr requests and maildrop files
# (written by fuzz_seeds, plus regression inputs) under testdata/fuzz
# for fuzz_cleanup, fuzz_qmgr and fuzz_pickup. A crash, a leak
# or a broken invariant fails the run; the reproducer is kept in
# BUILD_DIR/fuzz-out/.
set -eu
cd "$(dirname "$0")/.."
build=$1 secs=${2:-15}
out=$(cd "$build" && pwd)/fuzz-out # absolute: fuzz_smtpd runs in a scratch directory
rm -rf "$out"; mkdir -p "$out"
seed() { # seed NAME FILES...
    d=$out/$1-corpus; mkdir -p "$d"; shift
    for f in "$@"; do [ -f "$f" ] && cp "$f" "$d/$(echo "$f" | tr / _)"; done
    echo "$d"
}
status=0
for fz in "$build"/bin/fuzz_*; do
    [ -x "$fz" ] || continue
    name=$(basename "$fz")
    case $name in
    fuzz_conf) c=$(seed "$name" testdata/corpus/*/main.cf testdata/corpus/*/master.cf) ;;
    fuzz_mac) c=$(seed "$name" testdata/mac/*) ;;
    fuzz_schema) c=$(seed "$name" schemas/*.yaml) ;;
    fuzz_smtpd) c=$(seed "$name" testdata/fuzz/smtpd/*) ;;
    fuzz_smtp_reply) c=$(seed "$name" testdata/fuzz/smtp/*) ;;
    fuzz_dovecot_auth) c=$(seed "$name" testdata/fuzz/dovecot/*) ;;
    fuzz_cleanup) c=$(seed "$name" testdata/fuzz/cleanup/*) ;;
    fuzz_qmgr) c=$(seed "$name" testdata/fuzz/qmgr/*) ;;
    fuzz_pickup) c=$(seed "$name" testdata/fuzz/pickup/*) ;;
    fuzz_pipe) c=$(seed "$name" testdata/fuzz/pipe/*) ;;
    fuzz_maps_pat) c=$(seed "$name" testdata/fuzz/maps_pat/*) ;;
    fuzz_haproxy) c=$(seed "$name" testdata/fuzz/haproxy/*) ;;
    fuzz_seeds) continue ;; # the seed generator, not a fuzzer
    *) c=$(seed "$name") ;;
    esac
    echo "-- $name (${secs}s)"
    if ! "$fz" -max_total_time="$secs" -max_len=65536 -rss_limit_mb=2048 \
        -artifact_prefix="$out/$name-" "$c" >"$out/$name.log" 2>&1; then
        echo "FAIL $name: see $out/$name.log"; tail -30 "$out/$name.log"
        status=1
    else
        grep -E '^(#[0-9]+ *DONE|Done)' "$out/$name.log" | tail -1
    fi
done
exit $status
