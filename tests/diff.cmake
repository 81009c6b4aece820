# postern diff goldens (testdata/diff): directories, file pairs, single
# files, git revisions, --defaults, -x, --json, exit statuses.
if(TARGET postern)
    add_test(NAME diff_goldens COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/diff.sh
                                       $<TARGET_FILE:postern>)
    set_tests_properties(diff_goldens PROPERTIES LABELS diff SKIP_RETURN_CODE 77
                         TIMEOUT 120)
endif()
