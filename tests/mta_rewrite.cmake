# mta_rewrite - address rewriting in cleanup end to end
# (tests/mta_rewrite.sh): canonical maps, masquerading, automatic BCCs
# and header addresses over SMTP and sendmail; as root, the comparison
# with a real Postfix; the remote header context; smtp_generic_maps.
postern_test(NAME mta_rewrite_envelope LABELS mta SKIPPABLE TIMEOUT 120
             COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/mta_rewrite.sh
                     $<TARGET_FILE:postern> envelope)
postern_test(NAME mta_rewrite_postfix LABELS mta root SKIPPABLE TIMEOUT 120
             COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/mta_rewrite.sh
                     $<TARGET_FILE:postern> postfix)
postern_test(NAME mta_rewrite_generic LABELS mta SKIPPABLE TIMEOUT 120
             COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/mta_rewrite.sh
                     $<TARGET_FILE:postern> generic)
postern_test(NAME mta_rewrite_remote LABELS mta SKIPPABLE TIMEOUT 120
             COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/mta_rewrite.sh
                     $<TARGET_FILE:postern> remote)
