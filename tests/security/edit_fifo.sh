#!/bin/bash
# edit_fifo.sh - finding 1 of issue 15: the same names planted as FIFOs: no editor may hang on them;
# root runs every editing command (conf -e/-X/-#/-M/-F/-P, --backup, the
# REPL's write, lint --fix, map build). The victim must stay unchanged and
# the edit must land (or fail cleanly naming the file). See
# edit_attack.bash.
. "$(dirname "$0")/edit_attack.bash" "$1"
edit_attack_run fifo
