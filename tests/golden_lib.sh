# golden_lib.sh - shared by the golden test scripts (tests/cli.sh, diff.sh,
# lint.sh, repl.sh, dns.sh, robust.sh), sourced.
#
# golden_mode NAME TARGET [FIRST-ARGUMENT]: refuses UPDATE_GOLDEN (a test
#   run never rewrites what it compares with: exit 1 naming the build
#   target that does) and sets update=1 when FIRST-ARGUMENT is --update
#   (the build target's call: not a test), else update=0. Returns 0 when
#   the caller must shift that argument away.
# pin_host NAME: the unshare(1) options (array ns) that pin the host as
#   the oracle does (own UTS, network and PID namespaces; a user
#   namespace when not root); exit 77 and say so where unshare cannot.
golden_mode() {
    if [ -n "${UPDATE_GOLDEN+x}" ]; then
        echo "$1: UPDATE_GOLDEN is not honoured: cmake --build build --target $2" >&2
        exit 1
    fi
    update=0
    [ "${3:-}" = --update ] || return 1
    update=1
}

pin_host() {
    ns=(--uts --net --pid --fork)
    [ "$(id -u)" = 0 ] || ns=(--user --map-root-user "${ns[@]}")
    unshare "${ns[@]}" true 2>/dev/null || { echo "$1: unshare unavailable" >&2; exit 77; }
}
