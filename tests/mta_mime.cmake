# mta_mime - message_reject/strip_characters, strict_* MIME checks,
# mime_nesting_limit, header_size_limit (tests/mta_mime.sh); the postfix
# case compares replies and log lines with a real Postfix 3.7 (root)
postern_test(NAME mta_mime_basic LABELS mta SKIPPABLE TIMEOUT 120
             COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/mta_mime.sh
                     $<TARGET_FILE:postern> basic)
postern_test(NAME mta_mime_postfix LABELS mta root SKIPPABLE TIMEOUT 120
             COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/mta_mime.sh
                     $<TARGET_FILE:postern> postfix)
