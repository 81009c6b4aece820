# mta_smtp2 - the SMTP client (issue 6): 8BITMIME downgrade, STARTTLS
# levels against a real Postfix with test certificates, a real Postfix as
# peer in both directions, smtp-sink delays, and the address, lookup and
# connection parameters (tests/mta_smtp2.sh). Every peer runs on loopback
# and is stopped by the script's EXIT trap. The cases with a real Postfix
# (tests/postfix_peer.sh) need root and are labelled so.
foreach(case 8bitmime delay bind lookup_native lookup_dns rcptlimit reuse
             tls_sni)
    postern_test(NAME mta_smtp2_${case} LABELS mta SKIPPABLE TIMEOUT 90
                 COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/mta_smtp2.sh
                         $<TARGET_FILE:postern> ${case})
endforeach()
foreach(case postfix_out postfix_in tls_may tls_encrypt tls_verify
             tls_secure)
    postern_test(NAME mta_smtp2_${case} LABELS mta root SKIPPABLE TIMEOUT 90
                 COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/mta_smtp2.sh
                         $<TARGET_FILE:postern> ${case})
endforeach()
