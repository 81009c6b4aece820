# completion - the shell completions generated from the schema (lib/tools/repl,
# tools/compgen): bash COMPREPLY and a real Tab, zsh and fish in the shells
# themselves (skipped when a shell is not installed), "cmake --install", and
# the manual pages through groff's own warnings.
if(TARGET completions)
    foreach(_shell bash zsh fish)
        add_test(NAME completion_${_shell}
                 COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/completion.sh ${_shell}
                         ${POSTERN_COMPLETIONS_DIR})
        set_tests_properties(completion_${_shell} PROPERTIES
            LABELS repl SKIP_RETURN_CODE 77 TIMEOUT 60)
    endforeach()
    add_test(NAME completion_install
             COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/completion_install.sh
                     ${PROJECT_BINARY_DIR})
    set_tests_properties(completion_install PROPERTIES LABELS repl TIMEOUT 60)
    find_program(POSTERN_GROFF groff)
    if(POSTERN_GROFF)
        add_test(NAME man_pages_groff
                 COMMAND ${POSTERN_GROFF} -man -Tutf8 -ww -z ${POSTERN_MAN_PAGES})
        set_tests_properties(man_pages_groff PROPERTIES
            LABELS repl FAIL_REGULAR_EXPRESSION "warning|error")
    endif()
endif()
