# cgroup_lib.sh - the benchmarks' cgroup helpers (sourced by
# bench/mta-bench.sh and bench/relay-compare.sh): each MTA runs in a
# cgroup of its own, so its CPU time is measured and whatever it leaves
# behind is found and killed.
#
# cg_root        a writable cgroup hierarchy (v2, or v1 with cpuacct)
# cg_usec DIR    CPU time of the cgroup, microseconds
# cg_pids DIR    the PIDs in it
# cg_drain DIR   wait up to 5 s for it to empty, SIGKILL what is left
#                (only PIDs listed in this cgroup), remove it

cg_root() {
    local v2 v1
    v2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
    if [ -n "$v2" ] && [ -w "$v2" ]; then echo "$v2"; return; fi
    v1=$(awk '$3 == "cgroup" && $4 ~ /(^|,)cpuacct(,|$)/ { print $2; exit }' /proc/mounts)
    if [ -n "$v1" ] && [ -w "$v1" ]; then echo "$v1"; fi
}

cg_usec() {
    if [ -r "$1/cpu.stat" ]; then awk '$1 == "usage_usec" { print $2 }' "$1/cpu.stat"
    elif [ -r "$1/cpuacct.usage" ]; then echo $(( $(cat "$1/cpuacct.usage") / 1000 ))
    else echo 0; fi
}

cg_pids() { [ -n "$1" ] && [ -r "$1/cgroup.procs" ] && cat "$1/cgroup.procs"; }

cg_drain() {
    local cg=$1 p
    [ -n "$cg" ] && [ -d "$cg" ] || return 0
    for _ in $(seq 50); do [ -z "$(cg_pids "$cg")" ] && break; sleep 0.1; done
    for p in $(cg_pids "$cg"); do kill -KILL "$p" 2>/dev/null; done
    for _ in $(seq 30); do rmdir "$cg" 2>/dev/null && return 0; sleep 0.1; done
    echo "$(basename "$0"): could not remove cgroup $cg" >&2
}
