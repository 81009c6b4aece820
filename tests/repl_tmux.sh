#!/bin/bash
# repl_tmux.sh - drive "postern repl" on a real terminal, as a person would.
#
# Usage: tests/repl_tmux.sh POSTERN_BINARY
# In a private tmux server (its own socket, its own HOME): Tab-complete a
# partial parameter name, show and explain it, set an invalid value and see
# the error, complete an enum value, set it, see the diff, write, check the
# file on disk; then the quit question, Ctrl-C, the history file read back
# by a second session, and SIGTERM removing the session's scratch copy.
# Exit 77 (skip) without tmux.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
bin=$(readlink -f "$1")
command -v tmux >/dev/null || { echo "repl_tmux: tmux not installed; skipped"; exit 77; }
tmp=$(mktemp -d)
sock=$tmp/tmux.sock
trap 'tmux -S "$sock" kill-server 2>/dev/null; rm -rf "$tmp"' EXIT
cp "$here"/testdata/repl/conf/*.cf "$tmp"/
fail=0 pass=0

T() { tmux -S "$sock" "$@"; }
screen() { T capture-pane -p -t repl; }
# wait_for TEXT - until TEXT (fixed string) is on the screen, up to 5 s
wait_for() {
    local i
    for ((i = 0; i < 100; i++)); do
        screen | grep -qF -- "$1" && return 0
        sleep 0.05
    done
    return 1
}
check() { # check NAME TEXT
    if wait_for "$2"; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL $1: \"$2\" not on the screen:"
        screen | sed '/^$/d; s/^/    | /'
    fi
}
# check_line NAME TEXT - the cursor line is TEXT, trailing blanks included
check_line() {
    local i x y line
    for ((i = 0; i < 100; i++)); do
        x=$(T display -p -t repl '#{cursor_x}')
        y=$(T display -p -t repl '#{cursor_y}')
        line=$(screen | sed -n "$((y + 1))p")
        [ "$x" = ${#2} ] && [ "$line" = "${2%% }" ] && { pass=$((pass + 1)); return; }
        sleep 0.05
    done
    fail=$((fail + 1))
    echo "FAIL $1: cursor line \"$line\" (cursor at $x), want \"$2\""
}
type_keys() { T send-keys -t repl -l -- "$1"; }
key() { T send-keys -t repl "$@"; }
start() {
    T -f /dev/null new-session -d -s repl -x 150 -y 50 \
        "env HOME=$tmp POSTERN_HISTORY=$tmp/history TERM=xterm $bin repl -c $tmp; echo EXITED=\$?; sleep 60"
}

start
check_line prompt "postern> "

# Tab completes a partial parameter name (one candidate: a space follows).
type_keys "show smtpd_tls_secu"; key Tab
check_line complete-name "postern> show smtpd_tls_security_level "
key Enter
check show "smtpd_tls_security_level = may"

type_keys "explain smtpd_tls_security_l"; key Tab; key Enter
check explain-type "type:        enum: none, may, encrypt"
check explain-where "set in:      main.cf:24"
check explain-override "overridden:  submission/inet (master.cf:19): encrypt"

# No name starts with it: those that contain it are listed.
key C-l
type_keys "show tls_security_lev"; key Tab
check substring-list "postscreen_tls_security_level"
key C-u

# An invalid value is refused with what is valid.
key C-l
type_keys "set smtpd_tls_security_level=bogus"; key Enter
check invalid-value "error: smtpd_tls_security_level=bogus: smtpd_tls_security_level accepts one of: none, may, encrypt"

# Values after "=": listed, then completed.
key C-l
type_keys "set smtpd_tls_security_level="; key Tab
check value-list "encrypt  may"
type_keys "en"; key Tab
check_line complete-value "postern> set smtpd_tls_security_level=encrypt "
key Enter
check set "smtpd_tls_security_level: may -> encrypt"
check_line pending-prompt "postern [1 pending]> "

key C-l
type_keys "diff"; key Enter
check diff-minus "-smtpd_tls_security_level = may"
check diff-plus "+smtpd_tls_security_level = encrypt"
if grep -q '^smtpd_tls_security_level = may$' "$tmp/main.cf"; then
    pass=$((pass + 1))
else
    fail=$((fail + 1)); echo "FAIL: main.cf changed before write"
fi

type_keys "write"; key Enter
check write "wrote 1 change to main.cf"
if grep -q '^smtpd_tls_security_level = encrypt$' "$tmp/main.cf"; then
    pass=$((pass + 1))
else
    fail=$((fail + 1)); echo "FAIL: main.cf not written:"; grep -n smtpd_tls_security "$tmp/main.cf"
fi

# Ctrl-C drops the line, not the session.
key C-l
type_keys "show this_is_abandoned"; key C-c
type_keys "expand \$mydom"; key Tab; key Enter
check ctrl-c-and-expand "example.com"

# quit with a pending change asks; "n" stays, "y" leaves without writing.
key C-l
type_keys "set myorigin=example.org"; key Enter
type_keys "quit"; key Enter
check quit-asks "1 unwritten change will be lost. Quit anyway? [y/N]"
type_keys "n"; key Enter
check_line quit-no "postern [1 pending]> "
type_keys "quit"; key Enter
type_keys "y"; key Enter
check quit-yes "EXITED=0"
if grep -q 'example.org' "$tmp/main.cf"; then
    fail=$((fail + 1)); echo "FAIL: a dropped change was written"
else
    pass=$((pass + 1))
fi

# The history survives: a new session recalls the last command with Up.
T kill-session -t repl
grep -qx 'write' "$tmp/history" && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: history file:"; cat "$tmp/history"; }
start
check_line prompt-again "postern> "
key Up
check_line history-recall "postern> quit"

# A session killed with SIGTERM leaves no scratch files behind.
T kill-session -t repl
mkdir "$tmp/scratch"
T new-session -d -s repl -x 150 -y 50 \
    "exec env HOME=$tmp POSTERN_HISTORY= TMPDIR=$tmp/scratch TERM=xterm $bin repl -c $tmp"
check_line prompt-3 "postern> "
type_keys "set myorigin=example.org"; key Enter
check_line pending-3 "postern [1 pending]> "
if [ -n "$(ls -A "$tmp/scratch")" ]; then
    kill -TERM "$(T display -p -t repl '#{pane_pid}')"
    for ((i = 0; i < 40; i++)); do
        [ -z "$(ls -A "$tmp/scratch")" ] && break
        sleep 0.05
    done
    if [ -z "$(ls -A "$tmp/scratch")" ]; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1)); echo "FAIL: scratch files left after SIGTERM:"; find "$tmp/scratch"
    fi
else
    fail=$((fail + 1)); echo "FAIL: no scratch directory in TMPDIR"
fi

echo "repl_tmux: $pass passed, $fail failed"
[ $fail = 0 ]
