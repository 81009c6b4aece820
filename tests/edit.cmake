# Edit goldens: our postconf edits vs files written by the real postconf
# 3.7.11 (testdata/edit; regenerate with tests/edit_gen.sh).
postern_test(NAME edit_goldens LABELS cli edit postconf TIMEOUT 300
             COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/edit.sh
                     $<TARGET_FILE_DIR:postern>/postconf)
