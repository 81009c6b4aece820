# mac - macro expansion: Postfix's own test data (golden, byte for byte)
# and the cmocka unit test beside the module.
add_executable(mac_expand_driver ${CMAKE_CURRENT_LIST_DIR}/mac_expand_driver.c)
target_link_libraries(mac_expand_driver PRIVATE mac util)
target_compile_options(mac_expand_driver PRIVATE ${POSTERN_WARNINGS})

# Each case runs the driver as Postfix's Makefile.in does
# (./prog <x.in >x.tmp 2>&1; diff x.ref x.tmp).
set(MAC_GOLDEN_SH [=[
drv=$1 mode=$2 in=$3 ref=$4 out=$5
"$drv" "$mode" <"$in" >"$out" 2>&1
rc=$?
diff -u "$ref" "$out" || exit 1
exit $rc
]=])
foreach(case IN ITEMS mac_expand:-e compat_level_expand:-x compat_level_convert:-c)
    string(REPLACE ":" ";" parts ${case})
    list(GET parts 0 name)
    list(GET parts 1 mode)
    postern_test(NAME mac_golden_${name} LABELS unit mac
             COMMAND sh -c "${MAC_GOLDEN_SH}" sh
                     $<TARGET_FILE:mac_expand_driver> ${mode}
                     ${PROJECT_SOURCE_DIR}/testdata/mac/${name}.in
                     ${PROJECT_SOURCE_DIR}/testdata/mac/${name}.ref
                     ${CMAKE_CURRENT_BINARY_DIR}/mac_golden_${name}.out)
endforeach()

# mac_test is built in lib/config/mac
postern_test(NAME mac_test LABELS unit mac COMMAND mac_test)
