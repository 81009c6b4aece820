#!/bin/sh
# quickstart.sh - set everything up and run Postern's main job on the
# bundled sample configuration (testdata/default): print its non-default
# settings and the warnings about its parameters.
set -eu
cd "$(dirname "$0")/.."
if [ "$(id -u)" = 0 ]; then
    sh scripts/setup-deps.sh
fi
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc 2>/dev/null || echo 2)" >/dev/null
echo "== postern conf -n -c testdata/default   (non-default settings; warnings on stderr)"
build/bin/postern conf -n -c testdata/default 2>&1
echo
echo "== postern lint testdata/default   (typed checks; exit 1 means findings)"
build/bin/postern lint testdata/default || true
