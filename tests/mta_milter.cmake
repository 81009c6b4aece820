# mta_milter - smtpd_milters end to end (issue 19): a real OpenDKIM signs
# (python3-dkim verifies), a test milter takes every modification action
# and reply, hangs and dies mid-message (tests/mta_milter.sh).
foreach(case dkim edit reject tempfail discard quarantine hang die)
    postern_test(NAME mta_milter_${case} LABELS mta SKIPPABLE TIMEOUT 90
                 COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/mta_milter.sh
                         $<TARGET_FILE:postern> ${case})
endforeach()
