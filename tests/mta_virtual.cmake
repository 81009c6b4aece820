# mta_virtual - virtual hosting end to end (tests/mta_virtual.sh): alias
# expansion, unknown users at RCPT, the virtual agent (as root: the
# mailbox owner's uid), exactly once after SIGKILL.
foreach(case expand limits relay root crash postfix postfix_limit)
    add_test(NAME mta_virtual_${case}
             COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/mta_virtual.sh
                     $<TARGET_FILE:postern> ${case})
    set_tests_properties(mta_virtual_${case} PROPERTIES TIMEOUT 120
                         SKIP_RETURN_CODE 77 LABELS mta)
endforeach()
