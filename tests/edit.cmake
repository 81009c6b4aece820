# Edit goldens: our postconf edits vs files written by the real postconf
# 3.7.11 (testdata/edit; regenerate with tests/edit_gen.sh).
if(TARGET postern)
    add_test(NAME edit_goldens
             COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/edit.sh
                     $<TARGET_FILE_DIR:postern>/postconf)
    set_tests_properties(edit_goldens PROPERTIES LABELS "edit;postconf"
                         TIMEOUT 300)
endif()
