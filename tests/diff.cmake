# postern diff goldens (testdata/diff): directories, file pairs, single
# files, git revisions, --defaults, -x, --json, exit statuses. The
# goldens are rewritten by the build target diff_update.
postern_test(NAME diff_goldens LABELS cli diff SKIPPABLE TIMEOUT 120
             COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/diff.sh
                     $<TARGET_FILE:postern>)
add_custom_target(diff_update
    COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/diff.sh --update
            $<TARGET_FILE:postern>
    DEPENDS postern
    COMMENT "Rewriting testdata/diff/want from postern (review the diff)"
    VERBATIM)
