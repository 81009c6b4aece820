# Robustness of the postconf CLI (tests/robust.sh): missing, unreadable
# and garbage files, 1 MB lines, runaway macros, huge master.cf, and
# 100 MB main.cf files within a memory and time budget. Compared with
# the real postconf where installed, else with testdata/robust/.
# One ctest per case; the 100 MB cases take a lock so that they do not
# measure each other.
if(TARGET postern)
    execute_process(COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/robust.sh --list
                    OUTPUT_VARIABLE _rb_cases
                    OUTPUT_STRIP_TRAILING_WHITESPACE)
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
                 ${CMAKE_CURRENT_LIST_DIR}/robust.sh)
    string(REPLACE "\n" ";" _rb_cases "${_rb_cases}")
    foreach(_rb IN LISTS _rb_cases)
        add_test(NAME robust_${_rb}
                 COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/robust.sh
                         $<TARGET_FILE_DIR:postern>/postconf
                         $<TARGET_FILE:postern> ${_rb})
        set_tests_properties(robust_${_rb} PROPERTIES
            LABELS "robust;postconf" SKIP_RETURN_CODE 77 TIMEOUT 120)
        if(_rb MATCHES "^big_")
            set_tests_properties(robust_${_rb} PROPERTIES
                RESOURCE_LOCK postern_robust_big)
        endif()
    endforeach()
endif()
