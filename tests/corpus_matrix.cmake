# corpus_matrix - "postern check --json --config-only" on every
# testdata/corpus entry, compared with testdata/corpus_matrix/<entry>.txt
# (status, service, parameter per note), and no setting of the corpus
# (real Postfix's postconf -n / -P) without a note. After a change that
# moves a parameter, regenerate the goldens with
#   cmake --build build --target corpus_matrix_update
# and review the diff: it is the progress (or regression) of the change.
find_package(Python3 COMPONENTS Interpreter)
find_program(POSTERN_REAL_POSTCONF postconf PATHS /usr/sbin NO_DEFAULT_PATH)
if(Python3_Interpreter_FOUND AND POSTERN_REAL_POSTCONF)
    add_test(NAME corpus_matrix
             COMMAND ${Python3_EXECUTABLE}
                     ${CMAKE_CURRENT_LIST_DIR}/corpus_matrix.py
                     $<TARGET_FILE:postern> ${POSTERN_REAL_POSTCONF}
                     ${PROJECT_SOURCE_DIR})
    set_tests_properties(corpus_matrix PROPERTIES LABELS "cli")
    add_custom_target(corpus_matrix_update
        COMMAND ${Python3_EXECUTABLE}
                ${CMAKE_CURRENT_LIST_DIR}/corpus_matrix.py --update
                $<TARGET_FILE:postern> ${POSTERN_REAL_POSTCONF}
                ${PROJECT_SOURCE_DIR}
        DEPENDS postern
        COMMENT "Regenerating testdata/corpus_matrix from postern check"
        VERBATIM)
endif()
