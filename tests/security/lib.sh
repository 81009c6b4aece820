# tests/security/lib.sh - helpers for the attack regression suite (sourced).
#
# Each tests/security/NAME.sh performs one attack for real against a
# Postern instance started as root, the way an admin starts it, with real
# unprivileged users made by the test. They need root (exit 77 otherwise,
# saying so). Usage in a script:
#
#   BIN=$1
#   . "$(dirname "$0")/lib.sh"
#   sec_setup ["main.cf line" ...]   # root instance under $T, not started
#   sec_user mallory /home/dir       # a real user; removed at exit
#   mta_start                        # as root
#   as mallory CMD ...               # run a command as that user
#
# Names of users and groups made here start with "pst" and carry the
# shell's PID, so parallel tests (and parallel checkouts) never share one.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../mta_lib.sh"

if [ "$(id -u)" != 0 ]; then
    echo "skip: the security suite attacks an instance started as root; run it as root"
    exit 77
fi
command -v useradd >/dev/null || { echo "skip: useradd not installed"; exit 77; }

SEC_USERS=()
SEC_GROUPS=()
SEC_LOCK=/run/lock/postern-test-accounts.lock

# sec_name ROLE: a user/group name unique to this test process
sec_name() { echo "pst$$${1}" | cut -c1-31; }

# sec_user ROLE [HOME]: create user $(sec_name ROLE) with its own group;
# prints nothing, sets SEC_UID_<ROLE>
sec_user() {
    local role=$1 home=${2:-/nonexistent} name
    name=$(sec_name "$role")
    flock "$SEC_LOCK" useradd --system -M -d "$home" -s /bin/sh -U "$name" ||
        fail "useradd $name"
    SEC_USERS+=("$name")
    eval "SEC_UID_$role=$(id -u "$name")"
}

# sec_group ROLE: create group $(sec_name ROLE)
sec_group() {
    local name
    name=$(sec_name "$1")
    flock "$SEC_LOCK" groupadd --system "$name" || fail "groupadd $name"
    SEC_GROUPS+=("$name")
}

# as ROLE CMD...: run CMD as that user (its own group only, no others)
as() {
    local name
    name=$(sec_name "$1")
    shift
    setpriv --reuid="$name" --regid="$name" --clear-groups "$@"
}

sec_cleanup() {
    cleanup_instance
    stop_pids
    local u g
    for u in "${SEC_USERS[@]}"; do
        pkill -KILL -u "$u" 2>/dev/null
        flock "$SEC_LOCK" userdel "$u" 2>/dev/null
    done
    for g in "${SEC_GROUPS[@]}"; do
        flock "$SEC_LOCK" groupdel "$g" 2>/dev/null
    done
}

# sec_setup [main.cf lines]: an instance under $T as mta_setup makes it,
# but owned by root and run as root: mail_owner is a user made for the
# test ($OWNER), setgid_group a group made for the test ($SGID_GROUP),
# default_privs nobody. $T/mail is writable by default_privs.
sec_setup() {
    sec_user owner
    sec_group sgid
    OWNER=$(sec_name owner)
    SGID_GROUP=$(sec_name sgid)
    mta_setup "mail_owner = $OWNER" "setgid_group = $SGID_GROUP" \
        "default_privs = nobody" "$@"
    trap sec_cleanup EXIT
    AS=()
    RUN_USER=root
    chown -R root:root "$T"
    chown nobody "$T/mail"
}

# sec_local_setup [main.cf lines]: sec_setup for local delivery to the
# system's users: Maildir in their homes, passwd as the recipient table
sec_local_setup() {
    sec_setup "home_mailbox = Maildir/" \
        "local_recipient_maps = proxy:unix:passwd.byname \$alias_maps" "$@"
}

# sec_home_user ROLE: sec_user ROLE with the home $T/home/ROLE, made and
# owned by that user
sec_home_user() {
    local name
    name=$(sec_name "$1")
    sec_user "$1" "$T/home/$1"
    mkdir -p "$T/home/$1"
    chown "$name:$name" "$T/home/$1"
}
