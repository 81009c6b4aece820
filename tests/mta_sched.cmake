# mta_sched - qmgr's per-destination scheduling (issue 6): unit tests of
# the feedback arithmetic, and end-to-end cases (tests/mta_sched.sh)
# against Python SMTP listeners and smtp-sink on loopback.
if(TARGET qmgr_sched_test)
    add_test(NAME mta_sched_unit COMMAND qmgr_sched_test)
    set_tests_properties(mta_sched_unit PROPERTIES TIMEOUT 30)
endif()
foreach(case slowstart dead ratedelay fairness starve backoff)
    add_test(NAME mta_sched_${case}
             COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/mta_sched.sh
                     $<TARGET_FILE:postern> ${case})
    set_tests_properties(mta_sched_${case} PROPERTIES TIMEOUT 90
                         SKIP_RETURN_CODE 77)
endforeach()
