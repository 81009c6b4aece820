# mta_smtp - the SMTP client (issue 6): unit tests of lib/daemons/smtp
# (smtp_test, built there), and end-to-end relay tests (tests/mta_smtp.sh)
# against smtp-sink and a local unbound on loopback, each bounded in time
# and stopping what it started.
postern_test(NAME mta_smtp_unit LABELS unit COMMAND smtp_test)
foreach(case relay reject down mx crash stale rollover)
    postern_test(NAME mta_smtp_${case} LABELS mta SKIPPABLE TIMEOUT 90
                 COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/mta_smtp.sh
                         $<TARGET_FILE:postern> ${case})
endforeach()
