# mta_smtp2 - the SMTP client, part 2 (issue 6): 8BITMIME downgrade,
# STARTTLS levels against a real Postfix with test certificates, a real
# Postfix as peer in both directions, smtp-sink delays, and the address,
# lookup and connection parameters (tests/mta_smtp2.sh). Every peer runs
# on loopback and is stopped by the script's EXIT trap.
foreach(case 8bitmime delay bind lookup_native lookup_dns rcptlimit reuse postfix_out postfix_in tls_sni tls_may tls_encrypt tls_verify tls_secure)
    add_test(NAME mta_smtp2_${case}
             COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/mta_smtp2.sh
                     $<TARGET_FILE:postern> ${case})
    set_tests_properties(mta_smtp2_${case} PROPERTIES TIMEOUT 90
                         SKIP_RETURN_CODE 77)
endforeach()
