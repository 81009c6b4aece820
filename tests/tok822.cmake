# tok822 - RFC 822 address parsing and quoting: Postfix's own test data
# (testdata/peer/global, from Postfix 3.7.11), byte for byte, through
# tests/tok822_driver.c, as Postfix's Makefile.in runs its drivers.
add_executable(tok822_driver ${CMAKE_CURRENT_LIST_DIR}/tok822_driver.c)
target_link_libraries(tok822_driver PRIVATE tok822 util)
target_compile_options(tok822_driver PRIVATE ${POSTERN_WARNINGS})

set(TOK822_GOLDEN_SH [=[
drv=$1 mode=$2 in=$3 ref=$4 out=$5
"$drv" "$mode" <"$in" >"$out" 2>&1
rc=$?
diff -u "$ref" "$out" || exit 1
exit $rc
]=])
foreach(case IN ITEMS tok822_parse:-p tok822_limit:-p quote_822_local:-q)
    string(REPLACE ":" ";" parts ${case})
    list(GET parts 0 name)
    list(GET parts 1 mode)
    postern_test(NAME peer_${name} LABELS unit peer
             COMMAND sh -c "${TOK822_GOLDEN_SH}" sh
                     $<TARGET_FILE:tok822_driver> ${mode}
                     ${PROJECT_SOURCE_DIR}/testdata/peer/global/${name}.in
                     ${PROJECT_SOURCE_DIR}/testdata/peer/global/${name}.ref
                     ${CMAKE_CURRENT_BINARY_DIR}/peer_${name}.out)
endforeach()

# strip_addr: address extensions (rewrite_split_ext, Postfix's
# split_addr), Postfix's fixed cases and output
add_executable(strip_addr_driver ${CMAKE_CURRENT_LIST_DIR}/strip_addr_driver.c)
target_link_libraries(strip_addr_driver PRIVATE rewrite pcf util)
target_compile_options(strip_addr_driver PRIVATE ${POSTERN_WARNINGS})
set(STRIP_ADDR_SH [=[
drv=$1 ref=$2 out=$3
mkdir -p "$out.d" || exit 1
"$drv" "$out.d" >"$out" 2>&1
rc=$?
diff -u "$ref" "$out" || exit 1
exit $rc
]=])
postern_test(NAME peer_strip_addr LABELS unit peer
             COMMAND sh -c "${STRIP_ADDR_SH}" sh
                     $<TARGET_FILE:strip_addr_driver>
                     ${PROJECT_SOURCE_DIR}/testdata/peer/global/strip_addr.ref
                     ${CMAKE_CURRENT_BINARY_DIR}/peer_strip_addr.out)
