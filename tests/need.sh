#!/bin/sh
# need.sh PROGRAM CMD...: run CMD, or exit 77 (skipped) and say so when
# PROGRAM (a name on PATH or an absolute path) is not installed. Tests
# register this way instead of vanishing when an optional tool is missing.
p=$1
shift
case $p in
/*) [ -x "$p" ] ;;
*) command -v "$p" >/dev/null 2>&1 ;;
esac || { echo "skip: $p is not installed"; exit 77; }
exec "$@"
