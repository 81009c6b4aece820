#!/bin/bash
# edit_symlink.sh - finding 1 of issue 15: main.cf.tmp, master.cf.tmp, main.cf.bak.tmp and the map index's temporary name planted as a symlink to a root-only file;
# root runs every editing command (conf -e/-X/-#/-M/-F/-P, --backup, the
# REPL's write, lint --fix, map build). The victim must stay unchanged and
# the edit must land (or fail cleanly naming the file). See
# edit_attack.bash.
. "$(dirname "$0")/edit_attack.bash" "$1"
edit_attack_run symlink
