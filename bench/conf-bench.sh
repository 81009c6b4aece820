#!/usr/bin/env bash
# conf-bench.sh - time `postern conf` against Postfix's own postconf.
#
# Usage: bench/conf-bench.sh            (from anywhere; see bench/README.md)
#
# Measures the read modes -n, (no option: all parameters), -M, -nx and -x
# on the largest corpus entry (by main.cf size, testdata/corpus/*/main.cf)
# with its master.cf, or Debian's master.cf.dist when it has none.
# Both programs read the same scratch copy (mktemp -d), write to /dev/null,
# and run with NORANDOMIZE=1 LC_ALL=C. Before timing, each mode is run once
# by both programs and their stdout compared (process_id and the pid in
# debugger_command are pinned by running both as PID 1 in a fresh PID
# namespace, or masked when unshare is not available).
#
# Timing: hyperfine when installed (warmup, >= 30 runs, JSON + markdown +
# CSV exports), otherwise a loop of N runs reporting mean and min per run.
# Instructions: `perf stat -e instructions:u` when the CPU counter works,
# else `valgrind --tool=callgrind` (total Ir), else skipped. Finally the
# top functions of postern (callgrind, self cost) in its slowest mode.
#
# This is a measurement, not a test: it exits 0 whatever the figures are
# (only a missing build or corpus is an error); a mode where postern is
# slower than postconf is marked SLOWER.
#
# Environment:
#   RUNS=N            timed runs per command (default 100, minimum 30)
#   WARMUP=N          warmup runs per command (default 5)
#   ENTRY=NAME        corpus entry to use instead of the largest one
#   POSTCONF=PATH     reference postconf (default /usr/sbin/postconf)
#   POSTERN=PATH      postern binary (default build/bin/postern, built if
#                     missing; a shared build/ that others rebuild while the
#                     benchmark runs gives mixed figures: see bench/README.md)
#   BENCH_OUT=DIR     where exports go (default build/bench)
#   NO_HYPERFINE=1    use the fallback loop even if hyperfine is installed
#   NO_INSTR=1        skip instruction counts and the profile
set -u

here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here" || exit 1

RUNS=${RUNS:-100}
WARMUP=${WARMUP:-5}
POSTCONF=${POSTCONF:-/usr/sbin/postconf}
OUT=${BENCH_OUT:-$here/build/bench}
POSTERN=${POSTERN:-$here/build/bin/postern}
export NORANDOMIZE=1 LC_ALL=C

if [ "$RUNS" -lt 30 ] 2>/dev/null; then
    echo "note: RUNS=$RUNS raised to 30 (minimum)"
    RUNS=30
fi

# ---------------------------------------------------------------- build
if [ ! -x "$POSTERN" ] && [ "$POSTERN" = "$here/build/bin/postern" ]; then
    echo "== build/bin/postern missing: building (RelWithDebInfo)"
    if ! { cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null &&
        cmake --build build -j2 >/dev/null; }; then
        echo "conf-bench.sh: build failed" >&2
        exit 1
    fi
fi
if [ ! -x "$POSTERN" ]; then
    echo "conf-bench.sh: $POSTERN is not an executable" >&2
    exit 1
fi
bdir=$(dirname "$(dirname "$(readlink -f "$POSTERN")")")
btype=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$bdir/CMakeCache.txt" 2>/dev/null)
case $btype in
Release | RelWithDebInfo) ;;
*) echo "WARNING: $POSTERN is from a '${btype:-unknown}' build; figures are not representative" ;;
esac

# ---------------------------------------------------------------- input
entry=${ENTRY:-}
if [ -z "$entry" ]; then
    best=-1
    for f in testdata/corpus/*/main.cf; do
        [ -f "$f" ] || continue
        s=$(wc -c <"$f")
        if [ "$s" -gt "$best" ]; then best=$s entry=$(basename "$(dirname "$f")"); fi
    done
fi
src=testdata/corpus/$entry
if [ -z "$entry" ] || [ ! -f "$src/main.cf" ]; then
    echo "conf-bench.sh: no corpus entry with a main.cf (${entry:-none})" >&2
    exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dir=$work/conf
mkdir "$dir"
cp "$src/main.cf" "$dir/main.cf"
if [ -f "$src/master.cf" ]; then
    cp "$src/master.cf" "$dir/master.cf"
    mastersrc=$src/master.cf
else
    cp testdata/oracle/master.cf.dist "$dir/master.cf"
    mastersrc=testdata/oracle/master.cf.dist
fi
mkdir -p "$OUT"
# Snapshot the binary: a shared build/ may be rebuilt while we run, and
# every figure must come from the same executable. The copy keeps the
# name "postern" (argv[0] selects postern conf vs postconf behaviour).
POSTERN_SRC=$POSTERN
mkdir "$work/bin"
cp -p "$POSTERN" "$work/bin/postern"
POSTERN=$work/bin/postern

have_postconf=0
[ -x "$POSTCONF" ] && have_postconf=1

# ---------------------------------------------------------------- facts
echo "== conf-bench: postern conf vs postconf"
echo "date:      $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "machine:   nproc=$(nproc), $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), kernel $(uname -r)"
echo "commit:    $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- lib cmd 2>/dev/null || echo ' (work tree has uncommitted changes in lib/ or cmd/: the binary may include them)')"
echo "binary:    $POSTERN_SRC (build type ${btype:-?}, built $(date -u -r "$POSTERN" '+%Y-%m-%d %H:%M:%S UTC'), sha256 $(sha256sum "$POSTERN" | cut -c1-12))"
echo "input:     $entry: main.cf $(wc -c <"$dir/main.cf") bytes, $(wc -l <"$dir/main.cf") lines; master.cf from $mastersrc ($(wc -l <"$dir/master.cf") lines)"
echo "postern:   postern conf -c DIR MODE (a private copy of the binary above)"
if [ "$have_postconf" = 1 ]; then
    echo "postconf:  $POSTCONF -c DIR MODE (mail_version $("$POSTCONF" -c "$dir" -dh mail_version 2>/dev/null))"
else
    echo "postconf:  not installed at $POSTCONF: comparison SKIPPED, timing postern only"
fi
echo "env:       NORANDOMIZE=1 LC_ALL=C, stdout and stderr to /dev/null"

# Modes: label and option ("" = all parameters).
labels=(-n all -M -nx -x)
opts=(-n "" -M -nx -x)
# A file-name-safe tag per mode for the exports.
tags=(n all M nx x)

pcmd() { # pcmd PROG OPT: the argv for one program in one mode
    local prog=$1 opt=$2
    if [ "$prog" = postern ]; then
        set -- "$POSTERN" conf -c "$dir"
    else
        set -- "$POSTCONF" -c "$dir"
    fi
    [ -n "$opt" ] && set -- "$@" "$opt"
    printf '%s\0' "$@"
}

# ---------------------------------------------------------------- same output?
ns=()
if unshare --pid --fork true 2>/dev/null; then
    ns=(unshare --pid --fork)
elif unshare --user --map-root-user --pid --fork true 2>/dev/null; then
    ns=(unshare --user --map-root-user --pid --fork)
fi

capture() { # capture OUTFILE ARGV...: stdout of one run with the pid pinned/masked
    local out=$1; shift
    if [ ${#ns[@]} -gt 0 ]; then
        "${ns[@]}" "$@" >"$out" 2>/dev/null
        return
    fi
    sh -c 'echo $$ >"$0"; exec "$@"' "$work/pid" "$@" >"$out.raw" 2>/dev/null
    local pid
    pid=$(cat "$work/pid")
    sed -E "s/(^|[^0-9])$pid([^0-9]|\$)/\\1PID\\2/g" "$out.raw" >"$out"
}

same=()
if [ "$have_postconf" = 1 ]; then
    echo
    if [ ${#ns[@]} -gt 0 ]; then
        echo "== stdout check (both run as PID 1 in a new PID namespace)"
    else
        echo "== stdout check (unshare unavailable: the program's pid is masked)"
    fi
    for i in "${!labels[@]}"; do
        mapfile -d '' a < <(pcmd postern "${opts[i]}")
        mapfile -d '' b < <(pcmd postconf "${opts[i]}")
        capture "$work/a.out" "${a[@]}"
        capture "$work/b.out" "${b[@]}"
        if cmp -s "$work/a.out" "$work/b.out"; then
            same[i]=1
            printf '  %-4s identical (%d lines, %d bytes)\n' "${labels[i]}" \
                "$(wc -l <"$work/a.out")" "$(wc -c <"$work/a.out")"
        else
            same[i]=0
            printf '  %-4s OUTPUT DIFFERS: the timings below do not compare the same work\n' "${labels[i]}"
            diff "$work/b.out" "$work/a.out" | head -6 | sed 's/^/      /'
        fi
    done
fi

# ---------------------------------------------------------------- timing
declare -A mean minv
use_hf=0
if [ -z "${NO_HYPERFINE:-}" ] && command -v hyperfine >/dev/null 2>&1; then
    use_hf=1
fi

now_ns() { # wall clock in ns: bash's $EPOCHREALTIME (no fork) or date +%s%N
    if [ -n "${EPOCHREALTIME:-}" ]; then
        local t=${EPOCHREALTIME/[.,]/}
        echo "${t}000"
    else
        date +%s%N
    fi
}

loop_time() { # loop_time KEY ARGV...: WARMUP + RUNS runs; sets mean[KEY], minv[KEY] (ms)
    local key=$1; shift
    local i t0 t1 total=0 best=
    for ((i = 0; i < WARMUP; i++)); do "$@" >/dev/null 2>&1; done
    for ((i = 0; i < RUNS; i++)); do
        t0=$(now_ns)
        "$@" >/dev/null 2>&1
        t1=$(now_ns)
        total=$((total + t1 - t0))
        if [ -z "$best" ] || [ $((t1 - t0)) -lt "$best" ]; then best=$((t1 - t0)); fi
    done
    mean[$key]=$(awk -v t="$total" -v n="$RUNS" 'BEGIN { printf "%.3f", t / n / 1e6 }')
    minv[$key]=$(awk -v t="$best" 'BEGIN { printf "%.3f", t / 1e6 }')
}

quote() { # quote ARGV...: one string hyperfine --shell=none can split back
    local s="" w
    for w in "$@"; do s+="${s:+ }$(printf '%q' "$w")"; done
    printf '%s' "$s"
}

echo
if [ "$use_hf" = 1 ]; then
    echo "== timing: $(hyperfine --version), --shell=none, --warmup $WARMUP, --runs $RUNS"
    echo "   exports: $OUT/hyperfine-MODE.{json,md,csv}"
else
    if [ -n "${NO_HYPERFINE:-}" ]; then why="NO_HYPERFINE set"; else why="hyperfine not installed"; fi
    if [ -n "${EPOCHREALTIME:-}" ]; then clk="bash's \$EPOCHREALTIME"; else clk='date +%s%N'; fi
    echo "== timing: fallback loop ($why), $WARMUP warmup + $RUNS timed runs, clock $clk"
    echo "   (per-run times include bash's fork+exec+wait, so they read a little higher than hyperfine's)"
fi
for i in "${!labels[@]}"; do
    mapfile -d '' a < <(pcmd postern "${opts[i]}")
    progs=(postern)
    [ "$have_postconf" = 1 ] && progs+=(postconf)
    if [ "$use_hf" = 1 ]; then
        hf=(hyperfine --shell=none --output=null --style=none --warmup "$WARMUP" --runs "$RUNS"
            --export-json "$OUT/hyperfine-${tags[i]}.json"
            --export-markdown "$OUT/hyperfine-${tags[i]}.md"
            --export-csv "$OUT/hyperfine-${tags[i]}.csv"
            -n "postern conf ${labels[i]}" "$(quote "${a[@]}")")
        if [ "$have_postconf" = 1 ]; then
            mapfile -d '' b < <(pcmd postconf "${opts[i]}")
            hf+=(-n "postconf ${labels[i]}" "$(quote "${b[@]}")")
        fi
        if ! "${hf[@]}" >/dev/null 2>"$work/hf.err"; then
            echo "hyperfine failed for mode ${labels[i]}:" >&2
            cat "$work/hf.err" >&2
            continue
        fi
        # CSV columns: command,mean,stddev,median,user,system,min,max (seconds)
        while IFS=, read -r name m _ _ _ _ mn _; do
            case $name in
            "postern conf "*) p=postern ;;
            "postconf "*) p=postconf ;;
            *) continue ;;
            esac
            mean[$p,$i]=$(awk -v v="$m" 'BEGIN { printf "%.3f", v * 1000 }')
            minv[$p,$i]=$(awk -v v="$mn" 'BEGIN { printf "%.3f", v * 1000 }')
        done <"$OUT/hyperfine-${tags[i]}.csv"
    else
        loop_time "postern,$i" "${a[@]}"
        if [ "$have_postconf" = 1 ]; then
            mapfile -d '' b < <(pcmd postconf "${opts[i]}")
            loop_time "postconf,$i" "${b[@]}"
        fi
    fi
done

# ---------------------------------------------------------------- instructions
itool=""
declare -A instr
if [ -z "${NO_INSTR:-}" ]; then
    if perf stat -x, -e instructions:u -o "$work/probe" -- true >/dev/null 2>&1 &&
        grep -Eq '^[0-9]+,' "$work/probe"; then
        itool="perf stat -e instructions:u"
    elif command -v valgrind >/dev/null 2>&1; then
        itool="valgrind --tool=callgrind (Ir)"
    fi
fi
count_instr() { # count_instr ARGV...: prints the user-space instruction count
    if [ "${itool%% *}" = perf ]; then
        perf stat -x, -e instructions:u -o "$work/ps" -- "$@" >/dev/null 2>&1
        sed -n 's/^\([0-9][0-9]*\),.*instructions.*/\1/p' "$work/ps" | head -1
    else
        valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" -- "$@" >/dev/null 2>&1
        sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$work/cg.out" | head -1
    fi
}
if [ -n "$itool" ]; then
    for i in "${!labels[@]}"; do
        mapfile -d '' a < <(pcmd postern "${opts[i]}")
        instr[postern,$i]=$(count_instr "${a[@]}")
        if [ "$have_postconf" = 1 ]; then
            mapfile -d '' b < <(pcmd postconf "${opts[i]}")
            instr[postconf,$i]=$(count_instr "${b[@]}")
        fi
    done
fi

# ---------------------------------------------------------------- report
ratio() { # ratio A B: A/B to 2 decimals, or "-"
    awk -v a="${1:-}" -v b="${2:-}" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "-"; else printf "%.2f", a / b }'
}
marker() { # marker RATIO SAMEFLAG
    local r=$1 s=${2:-1} m=""
    if [ "$r" != - ] && awk -v r="$r" 'BEGIN { exit !(r > 1) }'; then m="SLOWER"; fi
    [ "$s" = 0 ] && m="${m:+$m, }output differs"
    printf '%s' "$m"
}

summary=$OUT/summary.md
{
    echo
    echo "== results (ms per run; ratio = postern / postconf, < 1 means postern is faster)"
    echo
    echo "| mode | postern mean ms | postconf mean ms | ratio | postern min ms | postconf min ms | note |"
    echo "|---|---:|---:|---:|---:|---:|---|"
    for i in "${!labels[@]}"; do
        pm=${mean[postern,$i]:-} cm=${mean[postconf,$i]:-}
        r=$(ratio "$pm" "$cm")
        printf '| %s | %s | %s | %s | %s | %s | %s |\n' "${labels[i]}" "${pm:--}" "${cm:--}" "$r" \
            "${minv[postern,$i]:--}" "${minv[postconf,$i]:--}" "$(marker "$r" "${same[i]:-1}")"
    done
    if [ "$have_postconf" = 0 ]; then
        echo
        echo "postconf not installed at $POSTCONF: comparison skipped."
    fi
    if [ -n "$itool" ]; then
        echo
        echo "== instructions per run (user space, from $itool)"
        echo
        echo "| mode | postern | postconf | ratio | note |"
        echo "|---|---:|---:|---:|---|"
        for i in "${!labels[@]}"; do
            pi=${instr[postern,$i]:-} ci=${instr[postconf,$i]:-}
            r=$(ratio "$pi" "$ci")
            printf '| %s | %s | %s | %s | %s |\n' "${labels[i]}" "${pi:--}" "${ci:--}" "$r" "$(marker "$r" "${same[i]:-1}")"
        done
    elif [ -z "${NO_INSTR:-}" ]; then
        echo
        echo "instructions: neither a working perf instructions counter nor valgrind: skipped."
    fi
} | tee "$summary"

# ---------------------------------------------------------------- profile
if [ -z "${NO_INSTR:-}" ] && command -v valgrind >/dev/null 2>&1 &&
    command -v callgrind_annotate >/dev/null 2>&1; then
    slow=0
    for i in "${!labels[@]}"; do
        if awk -v a="${mean[postern,$i]:-0}" -v b="${mean[postern,$slow]:-0}" 'BEGIN { exit !(a > b) }'; then
            slow=$i
        fi
    done
    mapfile -d '' a < <(pcmd postern "${opts[slow]}")
    valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind-postern-${tags[slow]}.out" \
        -- "${a[@]}" >/dev/null 2>&1
    echo
    echo "== top functions of postern in its slowest mode (${labels[slow]}), callgrind self Ir"
    echo "   (full profile: callgrind_annotate $OUT/callgrind-postern-${tags[slow]}.out)"
    callgrind_annotate --inclusive=no "$OUT/callgrind-postern-${tags[slow]}.out" 2>/dev/null |
        awk '/file:function/ { go = 1; getline; next } go && NF { print "  " $0; if (++n == 12) exit }' |
        sed -E 's# \[[^]]*\]$##; s#\./[^ ]*/\./##'
fi
exit 0
