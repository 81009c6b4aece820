# repl - "postern repl", "postern explain", "postern help TOPIC": unit tests
# (completion, pending changes), batch-mode goldens (testdata/repl/batch, one
# ctest per case) and a session driven on a real terminal through tmux.
if(TARGET repl_test)
    add_test(NAME repl_unit COMMAND repl_test)
    set_tests_properties(repl_unit PROPERTIES LABELS repl TIMEOUT 60)
endif()

if(TARGET postern AND TARGET repl)
    file(GLOB _repl_cases LIST_DIRECTORIES true CONFIGURE_DEPENDS
         ${CMAKE_CURRENT_LIST_DIR}/../testdata/repl/batch/*)
    foreach(_repl IN LISTS _repl_cases)
        if(IS_DIRECTORY ${_repl})
            get_filename_component(_repl_name ${_repl} NAME)
            add_test(NAME repl_${_repl_name}
                     COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/repl.sh
                             $<TARGET_FILE:postern> ${_repl_name})
            set_tests_properties(repl_${_repl_name} PROPERTIES
                LABELS repl SKIP_RETURN_CODE 77 TIMEOUT 60)
        endif()
    endforeach()
    add_test(NAME repl_tmux
             COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/repl_tmux.sh
                     $<TARGET_FILE:postern>)
    set_tests_properties(repl_tmux PROPERTIES
        LABELS repl SKIP_RETURN_CODE 77 TIMEOUT 60)
endif()
