#!/bin/bash
# edit_dryrun_shell.sh - finding 10 of issue 15: "postern conf --dry-run"
# ran diff(1) through system(), with the configuration path inside a shell
# string. A user who names a configuration directory (a delegated
# configuration under a directory she may write to) puts a quote and a
# command in the name; root previews an edit there with --dry-run. The
# command must not run (diff is executed directly, no shell), and the
# preview must still show the change with the path as its label.
BIN=$1
. "$(dirname "$0")/lib.sh"

T=$(mktemp -d /tmp/edit-dryrun.XXXXXX)
chmod 755 "$T"
trap sec_cleanup EXIT
sec_user mallory
M=$(sec_name mallory)
mkdir "$T/configs"
chown "$M:$M" "$T/configs"
# mallory's directory name: a quote, then a command, then a quote (no
# '/' in a name: the command writes "pwned" in root's working directory)
name="x'; id >pwned; echo '"
as mallory mkdir "$T/configs/$name" || fail "mkdir as mallory"
D=$T/configs/$name
as mallory bash -c 'printf "myhostname = mail.example.com\nrelayhost =\n" >"$1/main.cf"' - "$D"
touch "$D/master.cf"
cp "$D/main.cf" "$T/main.cf.orig"

cd "$T" || fail "cd $T"
out=$("$BIN" conf -c "$D" --dry-run -e 'relayhost=[mx.example.com]' 2>&1)
rc=$?
[ -e "$T/pwned" ] && fail "the shell ran mallory's command as root: $(cat "$T/pwned")"
[ $rc = 0 ] || fail "--dry-run: exit $rc: $out"
grep -qxF -- "--- $D/main.cf" <<<"$out" || fail "--dry-run: no '--- PATH' label: $out"
grep -qxF -- "+relayhost = [mx.example.com]" <<<"$out" || fail "--dry-run: change not shown: $out"
cmp -s "$D/main.cf" "$T/main.cf.orig" || fail "--dry-run wrote to main.cf"
pass "--dry-run ran diff without a shell: the name was a label, not a command"
