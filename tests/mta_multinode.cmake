# mta_multinode - two MX nodes of one domain in their own network
# namespaces, users in one directory, one node killed with SIGKILL under
# load (tests/mta_multinode.sh, docs/SCALING.md). Root only (namespaces).
postern_test(NAME mta_multinode LABELS mta root SKIPPABLE TIMEOUT 300
             COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/mta_multinode.sh
                     $<TARGET_FILE:postern> texthash)
postern_test(NAME mta_multinode_pgsql LABELS mta root SKIPPABLE TIMEOUT 300
             COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/mta_multinode.sh
                     $<TARGET_FILE:postern> pgsql)
