# maps_memcache - memcache: tables against a real memcached started by
# the test (tests/maps_memcache.sh): lookups compared with Postfix's
# postmap -q, the backup table and its answers cached, a server that
# cannot be reached as a temporary error.
foreach(case compare backup down check)
    postern_test(NAME maps_memcache_${case} LABELS cli maps SKIPPABLE
                 TIMEOUT 120
                 COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/maps_memcache.sh
                         $<TARGET_FILE:postern> ${case})
endforeach()
postern_test(NAME maps_memcache_e2e LABELS mta maps SKIPPABLE TIMEOUT 120
             COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/maps_memcache.sh
                     $<TARGET_FILE:postern> e2e)
