#!/bin/sh
# test.sh - the whole test suite, as CI runs it (.ci/run calls this).
#
# 1. installs missing Debian packages (scripts/setup-deps.sh, as root);
# 2. builds and runs ctest (unit, CLI golden, oracle, peer tests);
# 3. builds again with AddressSanitizer + UndefinedBehaviorSanitizer and
#    runs the same suite;
# 4. builds the libFuzzer targets with clang and runs each briefly.
# Set POSTERN_SKIP_ASAN=1 or POSTERN_SKIP_FUZZ=1 to skip a stage locally.
set -eu
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)

if [ "$(id -u)" = 0 ]; then
    sh scripts/setup-deps.sh
fi

echo "== build (RelWithDebInfo)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"
echo "== ctest"
ctest --test-dir build --output-on-failure -j"$jobs"

if [ "${POSTERN_SKIP_ASAN:-0}" != 1 ]; then
    echo "== build (ASan + UBSan)"
    cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DPOSTERN_SANITIZE=ON >/dev/null
    cmake --build build-asan -j"$jobs"
    echo "== ctest (ASan + UBSan)"
    # The CLI exits without freeing what lives until exit, as Postfix
    # does; leak checking is done by the fuzzers and unit tests instead.
    ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        ctest --test-dir build-asan --output-on-failure -j"$jobs"
fi

if [ "${POSTERN_SKIP_FUZZ:-0}" != 1 ] && command -v clang >/dev/null; then
    echo "== fuzz (libFuzzer, ${POSTERN_FUZZ_SECONDS:-15}s per target)"
    cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
        -DPOSTERN_FUZZ=ON >/dev/null
    cmake --build build-fuzz -j"$jobs" --target fuzzers
    sh fuzz/run.sh build-fuzz "${POSTERN_FUZZ_SECONDS:-15}"
fi
