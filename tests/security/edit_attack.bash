# tests/security/edit_attack.bash - shared part of the edit_*.sh attacks
# (sourced; not a test of its own, hence not *.sh).
#
# The attack: a user who can write to a configuration directory (here:
# owns it, and owns main.cf and master.cf too, as when an admin delegates
# a configuration) plants the name that a root editor writes first
# (main.cf.tmp, master.cf.tmp, main.cf.bak.tmp, the map index's
# temporary file) as a symlink, a hard link, a FIFO or a directory, and
# waits for root to run an edit. The victim is a root-only file
# ($T/victim, 0600 root:root): it stands for /etc/shadow.
#
# edit_attack_run KIND runs every editing command as root against a
# planted KIND and checks, each time: the victim is unchanged (content,
# owner, mode), the command did not hang, and the edit landed (main.cf,
# master.cf or the index has the right content) or failed cleanly with an
# error naming the file (an empty directory must not stop it: it is
# removed; one with something in it is refused). KIND: symlink,
# hardlink, fifo, dir.
BIN=$1
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

T=$(mktemp -d /tmp/edit-attack.XXXXXX)
chmod 755 "$T"
trap sec_cleanup EXIT
sec_user mallory
M=$(sec_name mallory)
D=$T/conf
VICTIM=$T/victim
printf 'root:$6$secret:19000:0:99999:7:::\n' >"$VICTIM"
chmod 600 "$VICTIM"
chown root:root "$VICTIM"
VICTIM_SUM=$(sha256sum <"$VICTIM")
VICTIM_STAT=$(stat -c '%a %u %g %h' "$VICTIM")
FAILED=0

# fresh_conf: the delegated directory with mallory's main.cf and master.cf
fresh_conf() {
    rm -rf "$D"
    mkdir "$D"
    printf '# delegated\nmyhostname = mail.example.com\nrelayhost =\nmydestination = $myhostname, localhost\nvirtual_maps = texthash:%s/aliases\n' "$D" >"$D/main.cf"
    printf 'smtp      inet  n       -       y       -       -       smtpd\npickup    unix  n       -       y       60      1       pickup\n' >"$D/master.cf"
    printf 'postmaster: root\nabuse: root\n' >"$D/aliases"
    chown -R "$M:$M" "$D"
    chmod 755 "$D"
}

# plant KIND NAME: mallory (or, for the hard link, root: see below) puts
# KIND at $D/NAME
plant() {
    local kind=$1 name=$2
    case $kind in
    symlink) as mallory ln -s "$VICTIM" "$D/$name" ;;
    # fs.protected_hardlinks stops mallory from linking a file she cannot
    # read; where it is off (or for a file she may read) she can. Root
    # makes the link here, which is what she could do with it off.
    hardlink) ln "$VICTIM" "$D/$name" ;;
    fifo) as mallory mkfifo "$D/$name" ;;
    dir) as mallory mkdir "$D/$name" ;;
    dirfull) as mallory mkdir "$D/$name" && as mallory touch "$D/$name/x" ;;
    esac || fail "plant $kind $D/$name"
}

victim_ok() {
    [ "$(sha256sum <"$VICTIM")" = "$VICTIM_SUM" ] &&
        [ "$(stat -c '%a %u %g %h' "$VICTIM")" = "$VICTIM_STAT" ]
}

# attempt KIND WHAT CHECK PLANTS -- CMD...: plant PLANTS, run CMD as root
# (5 s at most), then CHECK (a shell expression) must hold, or CMD must
# have failed with an error naming a file in the directory.
attempt() {
    local kind=$1 what=$2 check=$3 plants=$4 p rc out
    shift 5
    fresh_conf
    for p in $plants; do plant "$kind" "$p"; done
    out=$(timeout -k 2 5 "$@" 2>&1 </dev/null)
    rc=$?
    # the hard-link variant: drop the planted names so the link count
    # of the victim compares as before
    if [ "$kind" = hardlink ]; then
        for p in $plants; do [ "$D/$p" -ef "$VICTIM" ] && rm -f "$D/$p"; done
    fi
    if [ $rc = 124 ]; then
        echo "FAIL: $kind: $what: hung (killed after 5 s)"
        FAILED=1
    elif ! victim_ok; then
        echo "FAIL: $kind: $what: the victim was changed: $(stat -c '%a %U:%G %h links' "$VICTIM"), content: $(head -c 80 "$VICTIM" | tr '\n\0' '|.')"
        FAILED=1
        # put the victim back for the next command
        printf 'root:$6$secret:19000:0:99999:7:::\n' >"$VICTIM"
        chmod 600 "$VICTIM"
        chown root:root "$VICTIM"
    elif eval "$check"; then
        # (lint --fix exits 1 when findings remain: the status is its own)
        pass "$kind: $what: victim unchanged, edit done (exit $rc)"
    elif [ $rc != 0 ] && [ "$kind" != dir ] && [[ "$out" == *"$D/"* ]]; then
        # an empty directory (kind dir) is removed: the edit must land
        pass "$kind: $what: victim unchanged, refused cleanly: $(tail -1 <<<"$out")"
    else
        echo "FAIL: $kind: $what: rc=$rc check '$check' out: $out"
        FAILED=1
    fi
}

# owner_kept FILE: still mallory's (a root edit must not hand it to root)
owner_kept() { [ "$(stat -c %U "$1")" = "$M" ]; }

edit_attack_run() {
    local k=$1
    attempt "$k" "conf -e" \
        'grep -q "^relayhost = \[mx.example.com\]$" "$D/main.cf" && owner_kept "$D/main.cf"' \
        main.cf.tmp -- "$BIN" conf -c "$D" -e 'relayhost=[mx.example.com]'
    attempt "$k" "conf -X" \
        '! grep -q "^relayhost" "$D/main.cf" && owner_kept "$D/main.cf"' \
        main.cf.tmp -- "$BIN" conf -c "$D" -X relayhost
    attempt "$k" "conf -#" \
        'grep -q "^#mydestination = " "$D/main.cf" && owner_kept "$D/main.cf"' \
        main.cf.tmp -- "$BIN" conf -c "$D" -# mydestination
    attempt "$k" "conf -M" \
        'grep -q "^submission inet  *n  *-  *y  *-  *-  *smtpd$" "$D/master.cf" && owner_kept "$D/master.cf"' \
        master.cf.tmp -- "$BIN" conf -c "$D" -M 'submission/inet=submission inet n - y - - smtpd'
    attempt "$k" "conf -F" \
        'grep -q "^smtp *inet *n *- *n " "$D/master.cf" && owner_kept "$D/master.cf"' \
        master.cf.tmp -- "$BIN" conf -c "$D" -F 'smtp/inet/chroot=n'
    attempt "$k" "conf -P" \
        'grep -q "^ *-o smtpd_banner=hello$" "$D/master.cf" && owner_kept "$D/master.cf"' \
        master.cf.tmp -- "$BIN" conf -c "$D" -P 'smtp/inet/smtpd_banner=hello'
    attempt "$k" "conf --backup" \
        'grep -q "^relayhost = x$" "$D/main.cf" && grep -q "^relayhost =$" "$D/main.cf.bak" && owner_kept "$D/main.cf"' \
        "main.cf.tmp main.cf.bak.tmp" -- "$BIN" conf -c "$D" --backup -e relayhost=x
    attempt "$k" "repl write" \
        'grep -q "^relayhost = \[mx.example.com\]$" "$D/main.cf" && owner_kept "$D/main.cf"' \
        main.cf.tmp -- bash -c 'printf "set relayhost=[mx.example.com]\nwrite\n" | "$1" repl -c "$2"' - "$BIN" "$D"
    attempt "$k" "lint --fix" \
        'grep -q "^virtual_alias_maps = texthash:" "$D/main.cf" && ! grep -q "^virtual_maps" "$D/main.cf" && owner_kept "$D/main.cf"' \
        main.cf.tmp -- "$BIN" lint --fix "$D"
    # map build: the database's temporary name is FILE.db.PID.tmp (issue
    # 20; the index was FILE.pdb.PID, then FILE.pdb.tmp); the attacker
    # plants it for the PIDs a fresh PID namespace hands out (as she would
    # plant a range of likely PIDs)
    attempt "$k" "map build" \
        '"$BIN" map query "$D/aliases" postmaster | grep -qx root' \
        "aliases.db.tmp $(seq -f 'aliases.db.%g.tmp' 1 8)" -- unshare --pid --fork --kill-child "$BIN" map build "$D/aliases"
    if [ "$k" = dir ]; then
        # a directory with something in it is not removed: a clean refusal
        attempt dirfull "conf -e, non-empty directory" false main.cf.tmp \
            -- "$BIN" conf -c "$D" -e 'relayhost=[mx.example.com]'
    fi
    [ $FAILED = 0 ] || fail "$k: a root edit was turned against a file it must not touch, or was stopped by it"
    pass "$k: every editing command left the planted target alone"
}
