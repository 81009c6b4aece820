# mta_classify - check classifies every setting; start refuses an ERROR
# unless --allow-unimplemented (tests/mta_classify.sh).
add_test(NAME mta_classify COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/mta_classify.sh
                                   $<TARGET_FILE:postern>)
set_tests_properties(mta_classify PROPERTIES TIMEOUT 60 SKIP_RETURN_CODE 77)
