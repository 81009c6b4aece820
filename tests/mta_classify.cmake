# mta_classify - check classifies every setting; start refuses an ERROR
# unless --allow-unimplemented (tests/mta_classify.sh).
postern_test(NAME mta_classify LABELS mta SKIPPABLE
             COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/mta_classify.sh
                     $<TARGET_FILE:postern>)
