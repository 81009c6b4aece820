# mta_smtp - the SMTP client (issue 6): unit tests of lib/daemons/smtp, and
# end-to-end relay tests (tests/mta_smtp.sh) against smtp-sink and a local
# unbound on loopback, each bounded in time and stopping what it started.
if(TARGET smtp_test)
    add_test(NAME mta_smtp_unit COMMAND smtp_test)
endif()
foreach(case relay reject down mx crash stale rollover)
    add_test(NAME mta_smtp_${case}
             COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/mta_smtp.sh
                     $<TARGET_FILE:postern> ${case})
    set_tests_properties(mta_smtp_${case} PROPERTIES TIMEOUT 90
                         SKIP_RETURN_CODE 77)
endforeach()
