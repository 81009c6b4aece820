# mta_sched - qmgr's per-destination scheduling (issue 6): unit tests of
# the feedback arithmetic (qmgr_sched_test, built in lib/daemons/qmgr),
# and end-to-end cases (tests/mta_sched.sh) against Python SMTP listeners
# and smtp-sink on loopback.
postern_test(NAME mta_sched_unit LABELS unit TIMEOUT 30
             COMMAND qmgr_sched_test)
foreach(case slowstart dead ratedelay fairness starve backoff)
    postern_test(NAME mta_sched_${case} LABELS mta SKIPPABLE TIMEOUT 90
                 COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/mta_sched.sh
                         $<TARGET_FILE:postern> ${case})
endforeach()
