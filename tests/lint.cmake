# postern lint goldens: one failing and one passing case per rule, every
# output format (SARIF validated against its schema), suppression,
# .postern.yaml, baselines, --fix, and the real-world corpus.
if(TARGET postern)
    add_test(NAME lint_goldens COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/lint.sh
                                       $<TARGET_FILE:postern>)
    set_tests_properties(lint_goldens PROPERTIES LABELS lint SKIP_RETURN_CODE 77
                         TIMEOUT 300)
endif()
add_test(NAME lint_rule_docs COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/lint_docs.sh)
