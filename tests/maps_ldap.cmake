# maps_ldap - ldap: tables against a real OpenLDAP slapd started by the
# test (tests/maps_ldap.sh): lookups compared with Postfix's postmap -q,
# an unreachable server as a temporary error, aliases from LDAP end to
# end with 451 4.3.0 while slapd is down.
foreach(case compare down check tls)
    postern_test(NAME maps_ldap_${case} LABELS cli maps SKIPPABLE TIMEOUT 180
                 COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/maps_ldap.sh
                         $<TARGET_FILE:postern> ${case})
endforeach()
postern_test(NAME maps_ldap_e2e LABELS mta maps SKIPPABLE TIMEOUT 180
             COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/maps_ldap.sh
                     $<TARGET_FILE:postern> e2e)
