# Robustness of the postconf CLI (tests/robust.sh): missing, unreadable
# and garbage files, 1 MB lines, runaway macros, huge master.cf, and
# 100 MB main.cf files within a memory and time budget. Compared with
# the real postconf where installed, else with testdata/robust/.
# One ctest per case; the 100 MB cases take a lock so that they do not
# measure each other.
execute_process(COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/robust.sh --list
                OUTPUT_VARIABLE _rb_cases
                OUTPUT_STRIP_TRAILING_WHITESPACE)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
             ${CMAKE_CURRENT_LIST_DIR}/robust.sh)
string(REPLACE "\n" ";" _rb_cases "${_rb_cases}")
foreach(_rb IN LISTS _rb_cases)
    # the big_* cases measure memory and time: perf, one at a time
    set(_rb_kind cli)
    if(_rb MATCHES "^big_")
        set(_rb_kind perf)
    endif()
    postern_test(NAME robust_${_rb} LABELS ${_rb_kind} robust postconf
                 SKIPPABLE TIMEOUT 120
                 COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/robust.sh
                         $<TARGET_FILE_DIR:postern>/postconf
                         $<TARGET_FILE:postern> ${_rb})
    if(_rb MATCHES "^big_")
        set_tests_properties(robust_${_rb} PROPERTIES
            RESOURCE_LOCK postern_robust_big)
    endif()
endforeach()
# the stored references (testdata/robust) come from the real postconf:
# the build target robust_update rewrites them, never a test run
add_custom_target(robust_update
    COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/robust.sh --update
            $<TARGET_FILE_DIR:postern>/postconf $<TARGET_FILE:postern>
    DEPENDS postern
    COMMENT "Rewriting testdata/robust from the real postconf"
    VERBATIM)
