# Edit safety under real faults (strace injection, full tmpfs, read-only
# mount, unprivileged user), concurrency, --dry-run/--backup/--force.
if(TARGET postern)
    add_test(NAME edit_safety
             COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/edit_safety.sh
                     $<TARGET_FILE:postern>)
    set_tests_properties(edit_safety PROPERTIES LABELS "edit" RUN_SERIAL TRUE
                         TIMEOUT 300)
endif()
