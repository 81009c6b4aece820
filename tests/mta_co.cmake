# mta_co - sessions sharing an smtpd worker stay apart; a reload in the
# middle of their transactions loses none of them (tests/mta_co.sh).
add_test(NAME mta_co COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/mta_co.sh
                             $<TARGET_FILE:postern>)
set_tests_properties(mta_co PROPERTIES TIMEOUT 60 SKIP_RETURN_CODE 77)
