# maps_sql - pgsql:, mysql: and sqlite: tables against real servers
# started by the test (tests/sql_lib.sh), compared with Postfix's postmap
# -q key by key; servers down: an error, never "not found"; postern check
# names bad .cf settings (tests/maps_sql.sh).
foreach(case pgsql mysql sqlite check)
    postern_test(NAME maps_sql_${case} LABELS cli maps SKIPPABLE TIMEOUT 90
                 COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/maps_sql.sh
                         $<TARGET_FILE:postern> ${case})
endforeach()
