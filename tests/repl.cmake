# repl - "postern repl", "postern explain", "postern help TOPIC": unit tests
# (completion, pending changes; repl_test, built in lib/tools/repl),
# batch-mode goldens (testdata/repl/batch, one ctest per case, rewritten by
# the build target repl_update) and a session driven on a real terminal
# through tmux.
postern_test(NAME repl_unit LABELS unit repl COMMAND repl_test)

file(GLOB _repl_cases LIST_DIRECTORIES true CONFIGURE_DEPENDS
     ${CMAKE_CURRENT_LIST_DIR}/../testdata/repl/batch/*)
foreach(_repl IN LISTS _repl_cases)
    if(IS_DIRECTORY ${_repl})
        get_filename_component(_repl_name ${_repl} NAME)
        postern_test(NAME repl_${_repl_name} LABELS cli repl SKIPPABLE
                     COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/repl.sh
                             $<TARGET_FILE:postern> ${_repl_name})
    endif()
endforeach()
add_custom_target(repl_update
    COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/repl.sh --update
            $<TARGET_FILE:postern>
    DEPENDS postern
    COMMENT "Rewriting testdata/repl/batch/*/want.* (review the diff)"
    VERBATIM)
postern_test(NAME repl_tmux LABELS cli repl SKIPPABLE
             COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/repl_tmux.sh
                     $<TARGET_FILE:postern>)
