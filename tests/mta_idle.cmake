# mta_idle - 10,000 concurrent idle inbound SMTP connections held by the
# smtpd front under 200 MB in total, while a new client is served at
# once (issue 6; tests/mta_idle.sh prints the figures).
postern_test(NAME mta_idle LABELS mta perf SKIPPABLE TIMEOUT 120
             COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/mta_idle.sh
                     $<TARGET_FILE:postern> idle 10000)
foreach(case front postscreen nofile)
    postern_test(NAME mta_idle_${case} LABELS mta SKIPPABLE
                 COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/mta_idle.sh
                         $<TARGET_FILE:postern> ${case})
endforeach()
# server_handoff_test is built in lib/services/server
postern_test(NAME mta_idle_handoff_unit LABELS unit TIMEOUT 30
             COMMAND server_handoff_test)
