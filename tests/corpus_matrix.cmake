# corpus_matrix - "postern check --json --config-only" on every
# testdata/corpus entry, compared with testdata/corpus_matrix/<entry>.txt
# (status, service, parameter per note), and no setting of the corpus
# (real Postfix's postconf -n / -P) without a note. After a change that
# moves a parameter, regenerate the goldens with
#   cmake --build build --target corpus_matrix_update
# and review the diff: it is the progress (or regression) of the change.
# Skipped (77) where the real postconf is not installed.
set(POSTERN_REAL_POSTCONF /usr/sbin/postconf)
postern_test(NAME corpus_matrix LABELS cli SKIPPABLE
             COMMAND sh ${POSTERN_NEED} ${POSTERN_REAL_POSTCONF}
                     ${Python3_EXECUTABLE}
                     ${CMAKE_CURRENT_LIST_DIR}/corpus_matrix.py
                     $<TARGET_FILE:postern> ${POSTERN_REAL_POSTCONF}
                     ${PROJECT_SOURCE_DIR})
add_custom_target(corpus_matrix_update
    COMMAND ${Python3_EXECUTABLE}
            ${CMAKE_CURRENT_LIST_DIR}/corpus_matrix.py --update
            $<TARGET_FILE:postern> ${POSTERN_REAL_POSTCONF}
            ${PROJECT_SOURCE_DIR}
    DEPENDS postern
    COMMENT "Regenerating testdata/corpus_matrix from postern check"
    VERBATIM)
