# mta - end-to-end tests of the bundled MTA (tests/mta_e2e.sh): each case
# starts Postern in a scratch directory on loopback high ports, runs real
# clients, and stops everything it started.
foreach(case basic protocol access smuggle limits tls lifecycle sendmail
        queue bounce crash root delivery delay mailname)
    add_test(NAME mta_e2e_${case}
             COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/mta_e2e.sh
                     $<TARGET_FILE:postern> ${case})
    # "root" needs root; elsewhere it is skipped (exit 77)
    set_tests_properties(mta_e2e_${case} PROPERTIES TIMEOUT 60
                         SKIP_RETURN_CODE 77)
endforeach()
