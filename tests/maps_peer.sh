#!/bin/sh
# maps_peer.sh DRIVER TESTDATA OUTDIR CASE - one of Postfix's dictionary
# tests (src/util/Makefile.in, Postfix 3.7.11) through maps_peer_driver,
# compared byte for byte with Postfix's .ref file in TESTDATA.
drv=$1 td=$2 out=$3 case=$4
mkdir -p "$out" || exit 1
cd "$td" || exit 1
tmp=$out/$case.tmp
# our log says "prog: warning: ...", dict_open "./dict_open: warning: ..."
warn() { sed -E 's/^.*warning: /.\/dict_open: warning: /'; }
# sh -x of Postfix's dict_union_test.in / dict_pipe_test.in
run_x() { echo "+ ./dict_open $1 read"; "$drv" "$1"; }
case $case in
dict_cidr)
    "$drv" cidr:dict_cidr.map <dict_cidr.in 2>&1 | warn >"$tmp" ;;
miss_endif_cidr)
    echo get 1.2.3.5 | "$drv" cidr:miss_endif_cidr.map 2>&1 | warn >"$tmp" ;;
dict_inline_cidr)
    (echo get 1.2.3.4; echo get 4.3.2.1) |
        "$drv" 'cidr:{{1.2.3.4 got 1.2.3.4}}' 2>&1 | grep -v uid= >"$tmp" ;;
dict_inline_regexp | dict_inline_pcre)
    t=${case#dict_inline_}
    (echo get foo; echo get bar) |
        "$drv" "$t:{{/foo/ got foo}}" 2>&1 | grep -v uid= >"$tmp" ;;
dict_inline)
    (set -e
     "$drv" inline:'{ }' </dev/null
     "$drv" inline:'{ foo = xx }' </dev/null
     "$drv" inline:'{ foo=xx }x' </dev/null
     "$drv" inline:'{ foo=xx x' </dev/null
     "$drv" inline:'{ foo=xx {x=y}x}' </dev/null
     (echo get foo; echo get bar; echo get baz) |
         "$drv" -F inline:'{ foo=XX, { bAr = lotsa stuff }}'
     (echo get foo; echo get bar; echo get baz) |
         "$drv" -F inline:'{ foo=XX, { bAr = lotsa stuff }}'
    ) >"$tmp" 2>&1 ;;
dict_static)
    (set -e
     (echo get foo; echo get bar) | "$drv" static:fooxx
     "$drv" static:'{ foo xx ' </dev/null
     "$drv" static:'{ foo xx }x' </dev/null
     (echo get foo; echo get bar) | "$drv" static:'{ foo xx }'
    ) >"$tmp" 2>&1 ;;
dict_union_test)
    (echo get foo; echo get bar) |
        run_x 'unionmap:{static:one,static:two,inline:{foo=three}}' >"$tmp" 2>&1
    echo get foo | run_x 'unionmap:{static:one,fail:fail}' >>"$tmp" 2>&1 ;;
dict_pipe_test)
    (echo get k0; echo get k1; echo get k2) |
        run_x 'pipemap:{inline:{k1=v1,k2=v2},inline:{v2=v3}}' >"$tmp" 2>&1
    (echo get k0; echo get k1) |
        run_x 'pipemap:{inline:{k1=v1},fail:fail}' >>"$tmp" 2>&1 ;;
dict_thash)
    # postmap -fs of the table, sorted, is the table itself
    "$drv" -s texthash:dict_thash.map 2>&1 | LC_ALL=C sort |
        diff -u dict_thash.map - || exit 1
    "$drv" -s texthash:dict_thash.in 2>&1 |
        sed -E 's/^.*warning: /postmap: warning: /' >"$tmp" ;;
quote_test)
    # Postfix's src/postmap quote_test: each line of quote_test.in's
    # "echo LINE | postmap -i quote_test_map" added on its own (a table
    # file named stdin, as postmap -i names its input), then the whole
    # table listed (postmap -s | LC_ALL=C sort)
    w=$out/quote_test.d
    rm -rf "$w" && mkdir -p "$w" || exit 1
    sed -n "s/^echo '\(.*\)' | .*postmap -i .*/\1/p" quote_test.in |
        while IFS= read -r l; do
            printf '%s\n' "$l" >"$w/stdin"
            (cd "$w" && "$drv" -s texthash:stdin) 2>&1 >>"$w/entries" |
                sed -E 's/^.*warning: /postmap: warning: /'
        done >"$tmp"
    LC_ALL=C sort "$w/entries" >>"$tmp" ;;
*)
    echo "maps_peer.sh: unknown case $case" >&2
    exit 2 ;;
esac
diff -u "$case.ref" "$tmp"
