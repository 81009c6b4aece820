# mta_procs - master forks a process when all of a service's processes
# are busy (the lazy status protocol of lib/services/server), tests/mta_procs.sh.
postern_test(NAME mta_procs LABELS mta SKIPPABLE
             COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/mta_procs.sh
                     $<TARGET_FILE:postern>)
