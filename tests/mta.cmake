# mta - end-to-end tests of the bundled MTA (tests/mta_e2e.sh): each case
# starts Postern in a scratch directory on loopback high ports, runs real
# clients, and stops everything it started.
foreach(case basic protocol access smuggle limits tls lifecycle sendmail
        queue bounce crash delivery delay mailname)
    postern_test(NAME mta_e2e_${case} LABELS mta SKIPPABLE
                 COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/mta_e2e.sh
                         $<TARGET_FILE:postern> ${case})
endforeach()
# "root" needs root; elsewhere it is skipped (exit 77)
postern_test(NAME mta_e2e_root LABELS mta root SKIPPABLE
             COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/mta_e2e.sh
                     $<TARGET_FILE:postern> root)
