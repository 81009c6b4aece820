# mta_postscreen - postscreen in front of smtpd (issue 21): access list,
# pregreet, DNSBL/DNSWL against an unbound on loopback, PASS NEW/OLD,
# hand-off to smtpd; as root side by side with Postfix's postscreen.
postern_test(NAME mta_postscreen LABELS mta postscreen SKIPPABLE TIMEOUT 180
             COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/mta_postscreen.sh
                     $<TARGET_FILE:postern>)
# the deep protocol tests (pipelining, bare newline)
postern_test(NAME mta_postscreen_deep LABELS mta postscreen SKIPPABLE
             TIMEOUT 180
             COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/mta_postscreen.sh
                     $<TARGET_FILE:postern> deep)
