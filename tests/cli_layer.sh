#!/bin/bash
# cli_layer.sh - lib/tools/cli is the top layer (docs/ARCHITECTURE.md, "The CLI
# layer"): no other module, and neither set-gid program, includes its
# header or links it. Usage: tests/cli_layer.sh SOURCE_DIR
cd "$1" || exit 2
bad=$(grep -rlE '#include "cli/' lib cmd/postdrop cmd/postqueue \
          --include='*.c' --include='*.h' | grep -v '^lib/tools/cli/')
links=
for f in lib/*/*/CMakeLists.txt cmd/postdrop/CMakeLists.txt \
         cmd/postqueue/CMakeLists.txt; do
    [ "$f" = lib/tools/cli/CMakeLists.txt ] && continue
    sed 's/#.*//' "$f" | grep -qw cli && links="$links $f"
done
if [ -n "$bad$links" ]; then
    echo "cli_layer: only cmd/postern may use lib/tools/cli:" $bad $links >&2
    exit 1
fi
echo "cli_layer: ok"
