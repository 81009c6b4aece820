# mta_filter - after-queue content filters (tests/mta_filter.sh): a real
# filter on loopback that modifies and reinjects, smtp-sink at the end.
foreach(case content access down override)
    postern_test(NAME mta_filter_${case} LABELS mta SKIPPABLE TIMEOUT 120
                 COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/mta_filter.sh
                         $<TARGET_FILE:postern> ${case})
endforeach()
postern_test(NAME mta_filter_postfix LABELS mta root SKIPPABLE TIMEOUT 120
             COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/mta_filter.sh
                     $<TARGET_FILE:postern> postfix)
