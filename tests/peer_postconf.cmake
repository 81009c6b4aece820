# Peer tests: Postfix 3.7.11's own postconf tests (testdata/peer/postconf),
# run against the postern binary invoked as ./postconf (see
# tests/peer_postconf.sh and testdata/peer/postconf/README.md).
# One ctest per test: peer_postconf_testN. Tests named in
# testdata/peer/postconf/EXPECTED_FAIL are registered DISABLED, so ctest
# shows them as "Not Run (Disabled)".

set(_pp_data ${CMAKE_CURRENT_LIST_DIR}/../testdata/peer/postconf)
set(_pp_script ${CMAKE_CURRENT_LIST_DIR}/peer_postconf.sh)
set(_pp_xfail_file ${_pp_data}/EXPECTED_FAIL)

set(_pp_xfail "")
if(EXISTS ${_pp_xfail_file})
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
                 ${_pp_xfail_file})
    file(STRINGS ${_pp_xfail_file} _pp_lines)
    foreach(_pp_line IN LISTS _pp_lines)
        string(REGEX REPLACE "#.*" "" _pp_line "${_pp_line}")
        string(STRIP "${_pp_line}" _pp_line)
        if(NOT _pp_line STREQUAL "")
            list(APPEND _pp_xfail ${_pp_line})
        endif()
    endforeach()
endif()

file(GLOB _pp_cmds CONFIGURE_DEPENDS ${_pp_data}/test*/cmd)
set(_pp_names "")
foreach(_pp_cmd IN LISTS _pp_cmds)
    get_filename_component(_pp_dir ${_pp_cmd} DIRECTORY)
    get_filename_component(_pp_name ${_pp_dir} NAME)
    list(APPEND _pp_names ${_pp_name})
endforeach()
list(SORT _pp_names COMPARE NATURAL)

foreach(_pp_name IN LISTS _pp_names)
    set(_pp_test peer_postconf_${_pp_name})
    postern_test(NAME ${_pp_test} LABELS cli peer postconf TIMEOUT 120
                 COMMAND sh ${_pp_script} ${_pp_name} $<TARGET_FILE:postern>)
    if(_pp_name IN_LIST _pp_xfail)
        set_tests_properties(${_pp_test} PROPERTIES DISABLED TRUE)
    endif()
endforeach()

foreach(_pp_name IN LISTS _pp_xfail)
    if(NOT _pp_name IN_LIST _pp_names)
        message(WARNING "peer_postconf: EXPECTED_FAIL names unknown test '${_pp_name}'")
    endif()
endforeach()
