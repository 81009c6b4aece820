#!/bin/bash
# edit_dir.sh - finding 1 of issue 15: the same names planted as empty
# directories (removed, the edit lands) and, once, a non-empty one (a clean
# refusal naming it);
# root runs every editing command (conf -e/-X/-#/-M/-F/-P, --backup, the
# REPL's write, lint --fix, map build). The victim must stay unchanged and
# the edit must land (or fail cleanly naming the file). See
# edit_attack.bash.
. "$(dirname "$0")/edit_attack.bash" "$1"
edit_attack_run dir
