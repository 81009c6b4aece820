# edit_lib.sh - shared by tests/edit_gen.sh and tests/edit.sh.
# edit_setup ENTRY DIR: the entry's main.cf and master.cf (Debian's
# master.cf.dist or an empty main.cf where the corpus has none).
edit_setup() {
    local c=$here/testdata/corpus/$1
    if [ -f "$c/main.cf" ]; then cp "$c/main.cf" "$2/"; else : >"$2/main.cf"; fi
    if [ -f "$c/master.cf" ]; then cp "$c/master.cf" "$2/"; else cp "$here/testdata/oracle/master.cf.dist" "$2/master.cf"; fi
}
# edit_run BINARY DIR ARGS: run "postconf -c . ARGS" in DIR
edit_run() {
    local bin=$1 dir=$2 args=$3
    (cd "$dir" && eval "set -- $args" && NORANDOMIZE=1 LC_ALL=C \
        bash -c 'exec -a postconf "$0" -c . "$@"' "$bin" "$@" >.out 2>.err; echo $? >.rc)
}
# edit_changed ENTRY DIR FILE: did the edit change FILE?
edit_changed() {
    local ref
    if [ "$3" = main.cf ]; then
        ref=$here/testdata/corpus/$1/main.cf; [ -f "$ref" ] || ref=/dev/null
    else
        ref=$here/testdata/corpus/$1/master.cf; [ -f "$ref" ] || ref=$here/testdata/oracle/master.cf.dist
    fi
    ! cmp -s "$ref" "$2/$3"
}
