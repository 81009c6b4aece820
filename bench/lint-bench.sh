#!/bin/bash
# lint-bench.sh - time "postern lint" over a tree of N configuration
# directories (default 1000), made from the real-world corpus round-robin.
# Usage: bench/lint-bench.sh [N]   (builds build/bin/postern if missing)
# Prints the wall time, configurations per second and findings; it is a
# measurement, not a test, and always exits 0 unless the run itself fails.
set -eu
cd "$(dirname "$0")/.."
n=${1:-1000}
[ -x build/bin/postern ] || { cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null && cmake --build build -j"$(nproc)" >/dev/null; }
tree=$(mktemp -d); trap 'rm -rf "$tree"' EXIT
entries=(testdata/corpus/*/)
for i in $(seq 1 "$n"); do
    e=${entries[$(( (i - 1) % ${#entries[@]} ))]}
    d=$tree/site$(printf %04d "$i")
    mkdir -p "$d"
    cp "$e"/main.cf "$d"/ 2>/dev/null || : >"$d/main.cf"
    [ -f "$e/master.cf" ] && cp "$e/master.cf" "$d/"
done
echo "postern lint on $n configuration directories ($(nproc) CPUs, $(uname -r))"
start=$(date +%s.%N)
build/bin/postern lint --format json "$tree" >"$tree.json" 2>/dev/null || true
end=$(date +%s.%N)
secs=$(echo "$end - $start" | bc -l)
findings=$(grep -c '"rule"' "$tree.json" || true)
printf 'wall time: %.2f s   configurations/s: %.0f   findings: %s\n' "$secs" "$(echo "$n / $secs" | bc -l)" "$findings"
rm -f "$tree.json"
