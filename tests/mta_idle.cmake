# mta_idle - 10,000 concurrent idle inbound SMTP connections held by the
# smtpd front under 200 MB in total, while a new client is served at
# once (issue 6; tests/mta_idle.sh prints the figures).
add_test(NAME mta_idle
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/mta_idle.sh
                 $<TARGET_FILE:postern> idle 10000)
set_tests_properties(mta_idle PROPERTIES TIMEOUT 120 SKIP_RETURN_CODE 77)
add_test(NAME mta_idle_front
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/mta_idle.sh
                 $<TARGET_FILE:postern> front)
set_tests_properties(mta_idle_front PROPERTIES TIMEOUT 60 SKIP_RETURN_CODE 77)
add_test(NAME mta_idle_postscreen
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/mta_idle.sh
                 $<TARGET_FILE:postern> postscreen)
set_tests_properties(mta_idle_postscreen PROPERTIES TIMEOUT 60
                     SKIP_RETURN_CODE 77)
if(TARGET server_handoff_test)
    add_test(NAME mta_idle_handoff_unit COMMAND server_handoff_test)
    set_tests_properties(mta_idle_handoff_unit PROPERTIES TIMEOUT 30)
endif()
add_test(NAME mta_idle_nofile
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/mta_idle.sh
                 $<TARGET_FILE:postern> nofile)
set_tests_properties(mta_idle_nofile PROPERTIES TIMEOUT 60 SKIP_RETURN_CODE 77)
