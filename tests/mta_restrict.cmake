# mta_restrict - the smtpd restrictions end to end (issue 16): a real
# unbound answers the DNS questions of the restrictions; "postern" checks
# the replies and log lines against Postfix 3.7's texts, "postfix" runs
# the same dialogues against a real Postfix smtpd. Root only (exit 77).
foreach(case postern postfix nodelay)
    postern_test(NAME mta_restrict_${case} LABELS mta root SKIPPABLE
                 TIMEOUT 120
                 COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/mta_restrict.sh
                         $<TARGET_FILE:postern> ${case})
endforeach()
