# mta_hdr - header and body checks end to end (tests/mta_hdr.sh): replies,
# delivered headers, log lines; with regexp: and pcre: tables; as root,
# compared with a real Postfix 3.7 configured alike.
foreach(type regexp pcre)
    postern_test(NAME mta_hdr_basic_${type} LABELS mta SKIPPABLE TIMEOUT 120
                 COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/mta_hdr.sh
                         $<TARGET_FILE:postern> basic ${type})
    postern_test(NAME mta_hdr_smtp_${type} LABELS mta SKIPPABLE TIMEOUT 120
                 COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/mta_hdr.sh
                         $<TARGET_FILE:postern> smtp ${type})
    postern_test(NAME mta_hdr_postfix_${type} LABELS mta root SKIPPABLE
                 TIMEOUT 120
                 COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/mta_hdr.sh
                         $<TARGET_FILE:postern> postfix ${type})
endforeach()
