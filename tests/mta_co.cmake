# mta_co - sessions sharing an smtpd worker stay apart; a reload in the
# middle of their transactions loses none of them (tests/mta_co.sh).
postern_test(NAME mta_co LABELS mta SKIPPABLE
             COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/mta_co.sh
                     $<TARGET_FILE:postern>)
