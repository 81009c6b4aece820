# mta_procs - master forks a process when all of a service's processes
# are busy (the lazy status protocol of lib/services/server), tests/mta_procs.sh.
add_test(NAME mta_procs COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/mta_procs.sh
                                $<TARGET_FILE:postern>)
set_tests_properties(mta_procs PROPERTIES TIMEOUT 60 SKIP_RETURN_CODE 77)
