# CLI golden tests (testdata/cli/<case>): one ctest per case. The
# goldens are rewritten by the build target cli_update, never by a test.
file(GLOB _cli_cases LIST_DIRECTORIES true CONFIGURE_DEPENDS
     ${CMAKE_CURRENT_LIST_DIR}/../testdata/cli/*)
foreach(_cli IN LISTS _cli_cases)
    if(IS_DIRECTORY ${_cli})
        get_filename_component(_cli_name ${_cli} NAME)
        postern_test(NAME cli_${_cli_name} LABELS cli SKIPPABLE
                     COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/cli.sh
                             $<TARGET_FILE:postern> ${_cli_name})
    endif()
endforeach()
add_custom_target(cli_update
    COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/cli.sh --update
            $<TARGET_FILE:postern>
    DEPENDS postern
    COMMENT "Rewriting testdata/cli/*/want.* from postern (review the diff)"
    VERBATIM)
# cli_layer: no module but cmd/postern uses lib/tools/cli (the top layer)
postern_test(NAME cli_layer LABELS unit style TIMEOUT 30
             COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/cli_layer.sh
                     ${PROJECT_SOURCE_DIR})
