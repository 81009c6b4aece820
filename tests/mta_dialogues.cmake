# mta_dialogues - the SMTP dialogues of tests/dialogues/*.dlg (see its
# README): "golden" plays them against one Postern instance; "diff" also
# against an isolated real Postfix 3.7 instance configured alike, and both
# must give the files' replies (root: skipped with exit 77 otherwise).
foreach(mode golden diff)
    add_test(NAME mta_dialogues_${mode}
             COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/dialogues.sh
                     $<TARGET_FILE:postern> ${mode})
    set_tests_properties(mta_dialogues_${mode} PROPERTIES
                         LABELS mta TIMEOUT 120 SKIP_RETURN_CODE 77)
endforeach()
