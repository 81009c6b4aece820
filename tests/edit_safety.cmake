# Edit safety under real faults (strace injection, full tmpfs, read-only
# mount, unprivileged user), concurrency, --dry-run/--backup/--force.
# Where a fault cannot be injected (not root, no strace) the run reports
# skipped (77) and names what it could not do.
postern_test(NAME edit_safety LABELS cli root edit SKIPPABLE TIMEOUT 300
             COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/edit_safety.sh
                     $<TARGET_FILE:postern>)
set_tests_properties(edit_safety PROPERTIES RUN_SERIAL TRUE)
