# postfix_peer.sh - an isolated real Postfix 3.7 instance as a test or
# benchmark peer (sourced by tests/dialogues.sh, tests/mta_restrict.sh,
# tests/mta_smtp2.sh and bench/relay-compare.sh).
#
# The instance lives under one directory DIR: DIR/etc (main.cf,
# master.cf), DIR/spool, DIR/data and DIR/maillog (postlogd, so no
# syslog is needed). It never reads /etc/postfix and listens on loopback
# only. Functions return non-zero with a message on stderr; the caller
# decides whether that fails or skips.
#
#   pf_need          why a Postfix peer cannot run here ("" when it can)
#   pf_main_cf DIR   the isolation lines of main.cf (paths, owner, loopback,
#                    IPv4, no notices); the caller appends its own settings
#   pf_local_cf      main.cf lines of a peer that receives for local.test
#                    (mx.example.test) and delivers nothing off-host or
#                    locally (error transports); relaying for 127.0.0.1
#   pf_master_cf LINE...  master.cf: the given smtpd lines, then Debian's
#                    stock service list with chroot = n and postlogd
#   pf_start DIR PORT [PREFIX...]  permissions, "postfix check", start
#                    (run as PREFIX postfix ..., in a subshell, e.g. in a
#                    namespace or cgroup), then wait until PORT listens
#   pf_stop DIR      postfix stop, then SIGKILL what is left of it

pf_need() {
    if ! command -v postfix >/dev/null || [ ! -x /usr/lib/postfix/sbin/master ]; then
        echo "postfix (Debian package) is not installed"
    elif [ "$(id -u)" != 0 ]; then
        echo "a Postfix instance needs root"
    elif ! id postfix >/dev/null 2>&1 || ! getent group postdrop >/dev/null; then
        echo "user postfix / group postdrop missing"
    fi
}

pf_main_cf() {
    cat <<EOF
compatibility_level = 3.6
queue_directory = $1/spool
data_directory = $1/data
mail_owner = postfix
setgid_group = postdrop
maillog_file = $1/maillog
maillog_file_prefixes = $1
inet_interfaces = loopback-only
inet_protocols = ipv4
notify_classes =
EOF
}

pf_local_cf() {
    cat <<'EOF'
myhostname = mx.example.test
mydomain = example.test
myorigin = local.test
mydestination = local.test, localhost
mynetworks = 127.0.0.1/32
alias_maps =
alias_database =
local_recipient_maps =
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_reject_unlisted_recipient = no
smtpd_peername_lookup = no
smtpd_tls_security_level = none
biff = no
default_transport = error:5.7.1 test instance: no off-host delivery
local_transport = error:5.7.1 test instance: no local delivery
EOF
}

pf_master_cf() {
    printf '%s\n' "$@"
    cat <<'EOF'
pickup     unix  n       -       n      60     1       pickup
cleanup    unix  n       -       n      -      0       cleanup
qmgr       unix  n       -       n      300    1       qmgr
rewrite    unix  -       -       n      -      -       trivial-rewrite
bounce     unix  -       -       n      -      0       bounce
defer      unix  -       -       n      -      0       bounce
trace      unix  -       -       n      -      0       bounce
verify     unix  -       -       n      -      1       verify
flush      unix  n       -       n      1000?  0       flush
proxymap   unix  -       -       n      -      -       proxymap
proxywrite unix  -       -       n      -      1       proxymap
smtp       unix  -       -       n      -      -       smtp
relay      unix  -       -       n      -      -       smtp
showq      unix  n       -       n      -      -       showq
error      unix  -       -       n      -      -       error
retry      unix  -       -       n      -      -       error
discard    unix  -       -       n      -      -       discard
local      unix  -       n       n      -      -       local
virtual    unix  -       n       n      -      -       virtual
lmtp       unix  -       -       n      -      -       lmtp
anvil      unix  -       -       n      -      1       anvil
scache     unix  -       -       n      -      1       scache
tlsmgr     unix  -       -       n      1000?  1       tlsmgr
postlog    unix-dgram n  -       n      -      1       postlogd
EOF
}

pf_start() {
    local d=$1 port=$2 i
    shift 2
    mkdir -p "$d/spool" "$d/data"
    [ -f "$d/maillog" ] || : > "$d/maillog"
    chown postfix "$d/maillog" "$d/data"
    postfix -c "$d/etc" set-permissions create-missing >/dev/null 2>&1
    postfix -c "$d/etc" check > "$d/check.err" 2>&1 || {
        cat "$d/check.err" >&2; echo "postfix check failed ($d)" >&2; return 1; }
    ( "$@" postfix -c "$d/etc" start ) > "$d/start.err" 2>&1 || {
        cat "$d/start.err" "$d/maillog" >&2
        echo "postfix start failed ($d)" >&2
        return 1
    }
    for i in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
        sleep 0.1
    done
    tail -n 20 "$d/maillog" >&2
    echo "Postfix ($d) does not listen on 127.0.0.1:$port" >&2
    return 1
}

pf_stop() {
    local d=$1 mp i
    [ -f "$d/etc/main.cf" ] || return 0
    mp=$(tr -d ' ' 2>/dev/null < "$d/spool/pid/master.pid")
    timeout 20 postfix -c "$d/etc" stop >/dev/null 2>&1
    for i in $(seq 50); do
        [ -n "$mp" ] && kill -0 "$mp" 2>/dev/null || break
        sleep 0.1
    done
    if [ -n "$mp" ] && kill -0 "$mp" 2>/dev/null; then
        for i in $(ps -o pid= --ppid "$mp"); do kill -KILL "$i" 2>/dev/null; done
        kill -KILL "$mp" 2>/dev/null
    fi
    return 0
}
