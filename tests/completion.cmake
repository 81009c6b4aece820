# completion - the shell completions generated from the schema (lib/tools/repl,
# tools/compgen): bash COMPREPLY and a real Tab, zsh and fish in the shells
# themselves (skipped when a shell is not installed), "cmake --install", and
# the manual pages through groff's own warnings.
foreach(_shell bash zsh fish)
    postern_test(NAME completion_${_shell} LABELS cli repl SKIPPABLE
                 COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/completion.sh ${_shell}
                         ${POSTERN_COMPLETIONS_DIR})
endforeach()
# the completions are built by the target "completions": a test of them
# without it would test nothing
if(NOT TARGET completions)
    message(FATAL_ERROR "tests/completion.cmake: no target 'completions'")
endif()
postern_test(NAME completion_install LABELS cli repl
             COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/completion_install.sh
                     ${PROJECT_BINARY_DIR})
postern_test(NAME man_pages_groff LABELS unit SKIPPABLE
             COMMAND sh ${POSTERN_NEED} groff groff -man -Tutf8 -ww -z
                     ${POSTERN_MAN_PAGES})
set_tests_properties(man_pages_groff PROPERTIES
                     FAIL_REGULAR_EXPRESSION "warning|error")
