# postern lint goldens: one failing and one passing case per rule, every
# output format (SARIF validated against its schema), suppression,
# .postern.yaml, baselines, --fix, and the real-world corpus. The
# goldens are rewritten by the build target lint_update.
postern_test(NAME lint_goldens LABELS cli lint SKIPPABLE TIMEOUT 300
             COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/lint.sh
                     $<TARGET_FILE:postern>)
add_custom_target(lint_update
    COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/lint.sh --update
            $<TARGET_FILE:postern>
    DEPENDS postern
    COMMENT "Rewriting testdata/lint/want from postern lint (review the diff)"
    VERBATIM)
postern_test(NAME lint_rule_docs LABELS unit lint
             COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/lint_docs.sh)
