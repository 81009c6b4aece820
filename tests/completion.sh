#!/bin/bash
# completion.sh - the generated shell completions, in the shells themselves.
#
# Usage: tests/completion.sh bash|zsh|fish COMPLETIONS_DIR
# bash: source postern.bash and check COMPREPLY for command lines (as bash
#   would call _postern), then one real Tab in an interactive bash in tmux;
# zsh:  Tab in an interactive "zsh -f" with compinit, in tmux;
# fish: "complete -C" in fish.
# The configuration is testdata/repl/conf ($MAIL_CONFIG), so master.cf
# service names are known. Exit 77 (skip) when the shell is not installed.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
shell=$1
dir=$(readlink -f "$2")
export MAIL_CONFIG=$here/testdata/repl/conf LC_ALL=C
command -v "$shell" >/dev/null || { echo "completion: $shell not installed; skipped"; exit 77; }
tmp=$(mktemp -d)
sock=$tmp/tmux.sock
trap 'command -v tmux >/dev/null && tmux -S "$sock" kill-server 2>/dev/null; rm -rf "$tmp"' EXIT
pass=0 fail=0

# CASES: command line, then the expected candidates (sorted, one line).
cases=(
    "postern " "conf diff dns explain help lint repl version"
    "postern co" "conf"
    "postern ex" "explain"
    "postern conf smtpd_tls_secu" "smtpd_tls_security_level"
    "postern conf myhostn" "myhostname"
    "postern conf smtpd_tls_security_level=" "encrypt may none"
    "postern conf smtpd_tls_security_level=m" "may"
    "postern conf -e smtpd_use_tls=" "no yes"
    "postern conf inet_protocols=ipv4,ip" "ipv4,ipv4 ipv4,ipv6"
    "postern conf message_size_limit=1" ""
    "postern conf --dr" "--dry-run"
    "postern conf -C b" "builtin"
    "postern conf -M sub" "submission/inet"
    "postern conf -M relay/" "relay/unix"
    "postern conf -P sub" "submission/inet/"
    "postern conf -P submission/inet/smtpd_tls_sec" "submission/inet/smtpd_tls_security_level"
    "postern conf -F smtp/inet/pro" "smtp/inet/process_limit"
    "postern conf -c /nonexistent -M sub" ""
    "postern explain smtpd_sasl_auth_en" "smtpd_sasl_auth_enable"
    "postern explain --se" "--search"
    "postern repl -" "--help -c"
    "postern help r" "repl"
    "postern lint --format s" "sarif"
    "postern lint --fail-on w" "warning"
    "postern dns --re" "--resolver --retries"
    "postern dns --color a" "always auto"
    "postern dns --fail-on n" "none"
    "postern lint --write" "--write-baseline"
)

result() { # result NAME GOT WANT
    if [ "$2" = "$3" ]; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL $shell \"$1\": got \"$2\", want \"$3\""
    fi
}

# --- tmux helpers, for the shells whose completion needs a terminal
T() { tmux -S "$sock" "$@"; }
tmux_start() { # tmux_start COMMAND...
    T -f /dev/null new-session -d -s sh -x 200 -y 50 "$@"
}
# tmux_line WANT KEYS... - type KEYS; the cursor line (up to the cursor,
# trailing blanks included) once it is WANT, or after 3 s whatever it is
tmux_line() {
    local want=$1 i x y line
    shift
    T send-keys -t sh "$@"
    for ((i = 0; i < 60; i++)); do
        sleep 0.05
        x=$(T display -p -t sh '#{cursor_x}')
        y=$(T display -p -t sh '#{cursor_y}')
        line=$(T capture-pane -p -t sh | sed -n "$((y + 1))p")
        line=$(printf '%-*s' "$x" "$line")
        line=${line:0:$x}
        [ "$line" = "$want" ] && break
    done
    printf '%s' "$line"
}
tmux_prompt() { # tmux_prompt TEXT - until the screen is cleared to prompt TEXT
    local i
    for ((i = 0; i < 100; i++)); do
        [ "$(T capture-pane -p -t sh | sed '/^$/d')" = "$1" ] && return 0
        sleep 0.05
    done
    return 1
}
tmux_wait() { # tmux_wait TEXT - until TEXT is on the screen
    local i
    for ((i = 0; i < 100; i++)); do
        T capture-pane -p -t sh | grep -qF -- "$1" && return 0
        sleep 0.05
    done
    return 1
}

case $shell in
bash)
    # shellcheck source=/dev/null
    source "$dir/postern.bash"
    COMP_WORDBREAKS=$' \t\n"\'><=;|&(:'
    for ((i = 0; i < ${#cases[@]}; i += 2)); do
        line=${cases[i]}
        COMP_LINE=$line COMP_POINT=${#line}
        # COMP_WORDS as bash splits them (= and : are words of their own).
        read -r -a COMP_WORDS <<<"$(sed 's/\([=:]\)/ \1 /g' <<<"$line")"
        [[ $line == *[[:space:]=:] ]] && COMP_WORDS+=("")
        COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
        COMPREPLY=()
        _postern postern "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}" 2>/dev/null
        # Bash replaces only what follows the last = or :, so that is what
        # the replies hold ("may" for "...level=m").
        got=$(for r in "${COMPREPLY[@]}"; do printf '%s\n' "$r"; done | sort | tr '\n' ' ')
        got=${got% }
        want=${cases[i + 1]}
        result "$line" "$got" "$want"
    done
    # One real Tab in an interactive bash.
    if command -v tmux >/dev/null; then
        tmux_start env -i PATH="$PATH" HOME="$tmp" TERM=xterm MAIL_CONFIG="$MAIL_CONFIG" \
            bash --norc --noprofile
        T send-keys -t sh "PS1='$ '; source $dir/postern.bash; clear" Enter
        tmux_prompt '$' || { echo "FAIL: no bash prompt"; exit 1; }
        want="$ postern conf smtpd_tls_security_level=encrypt "
        got=$(tmux_line "$want" "postern conf smtpd_tls_security_level=e" Tab)
        result "interactive Tab" "$got" "$want"
        want="$ postern conf -P submission/inet/"
        got=$(tmux_line "$want" C-u "postern conf -P submission/i" Tab)
        result "interactive Tab" "$got" "$want"
    else
        echo "completion: tmux not installed; interactive bash check not run"
        untested="interactive Tab (tmux not installed)"
    fi
    ;;
zsh)
    command -v tmux >/dev/null || { echo "completion: tmux not installed; zsh skipped"; exit 77; }
    tmux_start env -i PATH="$PATH" HOME="$tmp" TERM=xterm MAIL_CONFIG="$MAIL_CONFIG" zsh -f
    T send-keys -t sh "PS1='%% '; fpath=($dir \$fpath); autoload -Uz compinit; compinit -u -D; clear" Enter
    tmux_prompt '%' || { echo "FAIL: no zsh prompt"; exit 1; }
    # Lines that one Tab completes to a single candidate.
    zcases=(
        "postern co" "postern conf "
        "postern conf smtpd_tls_secu" "postern conf smtpd_tls_security_level "
        "postern conf smtpd_tls_security_level=e" "postern conf smtpd_tls_security_level=encrypt "
        "postern conf inet_protocols=ipv4,ip" "postern conf inet_protocols=ipv4,ipv"
        "postern conf -M sub" "postern conf -M submission/inet "
        "postern conf -P submission/i" "postern conf -P submission/inet/"
        "postern conf -P submission/inet/smtpd_tls_sec" "postern conf -P submission/inet/smtpd_tls_security_level "
        "postern conf -F smtp/inet/pro" "postern conf -F smtp/inet/process_limit "
        "postern explain myhostn" "postern explain myhostname "
        "postern help r" "postern help repl "
        "postern lint --format sa" "postern lint --format sarif "
        "postern conf --dr" "postern conf --dry-run "
    )
    for ((i = 0; i < ${#zcases[@]}; i += 2)); do
        got=$(tmux_line "% ${zcases[i + 1]}" C-u "${zcases[i]}" Tab)
        result "${zcases[i]}" "$got" "% ${zcases[i + 1]}"
    done
    # Several values: listed below the line.
    T send-keys -t sh C-u "postern conf smtpd_tls_security_level=" Tab
    if tmux_wait "encrypt  may      none" || tmux_wait "encrypt  may  none"; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1)); echo "FAIL zsh: value list not shown:"; T capture-pane -p -t sh | sed '/^$/d'
    fi
    ;;
fish)
    for ((i = 0; i < ${#cases[@]}; i += 2)); do
        line=${cases[i]}
        got=$(fish --no-config -c "source $dir/postern.fish; complete -C '$line'" 2>&1 |
            cut -f1 | sort | tr '\n' ' ')
        got=${got% }
        # fish offers whole tokens: compare what follows "name=".
        cur=${line##* }
        if [[ $cur == *=* ]]; then
            got=$(for w in $got; do printf '%s\n' "${w#*=}"; done | sort | tr '\n' ' ')
            got=${got% }
        fi
        result "$line" "$got" "${cases[i + 1]}"
    done
    ;;
*)
    echo "usage: completion.sh bash|zsh|fish COMPLETIONS_DIR" >&2
    exit 2
    ;;
esac
echo "completion $shell: $pass passed, $fail failed"
[ $fail = 0 ] || exit 1
# a check that could not run: skipped (77), not passed
[ -z "${untested:-}" ] || { echo "skip: $untested"; exit 77; }
exit 0
