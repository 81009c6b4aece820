# security - the attack regression suite (tests/security/*.sh): each
# script performs one attack against an instance started as root, with
# real unprivileged users it creates. They need root; elsewhere they
# exit 77 and say so.
file(GLOB POSTERN_SECURITY_TESTS ${CMAKE_CURRENT_LIST_DIR}/security/*.sh)
list(SORT POSTERN_SECURITY_TESTS)
foreach(script ${POSTERN_SECURITY_TESTS})
    get_filename_component(name ${script} NAME_WE)
    if(name STREQUAL "lib")
        continue()
    endif()
    postern_test(NAME security_${name} LABELS mta root security SKIPPABLE
                 TIMEOUT 180
                 COMMAND bash ${script} $<TARGET_FILE:postern>)
endforeach()
