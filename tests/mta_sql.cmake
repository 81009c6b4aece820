# mta_sql - a mail host with virtual domains, mailboxes and aliases in
# PostgreSQL; the database stopped mid-run: 451 4.3.0 at RCPT, deferrals,
# nothing lost when it returns (tests/mta_sql.sh).
foreach(case pgsql_down pgsql_agent mysql_sasl)
    postern_test(NAME mta_sql_${case} LABELS mta maps SKIPPABLE TIMEOUT 120
                 COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/mta_sql.sh
                         $<TARGET_FILE:postern> ${case})
endforeach()
postern_test(NAME mta_sql_pgsql_proxy LABELS mta root maps SKIPPABLE TIMEOUT 120
             COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/mta_sql.sh
                     $<TARGET_FILE:postern> pgsql_proxy)
postern_test(NAME mta_sql_pgsql_postfix LABELS mta root maps peer SKIPPABLE
             TIMEOUT 120
             COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/mta_sql.sh
                     $<TARGET_FILE:postern> pgsql_postfix)
