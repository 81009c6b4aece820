# CLI golden tests (testdata/cli/<case>): one ctest per case.
if(TARGET postern)
    file(GLOB _cli_cases LIST_DIRECTORIES true CONFIGURE_DEPENDS
         ${CMAKE_CURRENT_LIST_DIR}/../testdata/cli/*)
    foreach(_cli IN LISTS _cli_cases)
        if(IS_DIRECTORY ${_cli})
            get_filename_component(_cli_name ${_cli} NAME)
            add_test(NAME cli_${_cli_name}
                     COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/cli.sh
                             $<TARGET_FILE:postern> ${_cli_name})
            set_tests_properties(cli_${_cli_name} PROPERTIES
                LABELS cli SKIP_RETURN_CODE 77 TIMEOUT 60)
        endif()
    endforeach()
endif()
# cli_layer: no module but cmd/postern uses lib/tools/cli (the top layer)
add_test(NAME cli_layer
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/cli_layer.sh ${PROJECT_SOURCE_DIR})
set_tests_properties(cli_layer PROPERTIES LABELS cli TIMEOUT 30)
