# mta_smtp3 - the SMTP client (issue 6): SMTP AUTH (PLAIN, LOGIN,
# security options, STARTTLS first), smtp_fallback_relay,
# smtp_skip_5xx_greeting, smtp_defer_if_no_mx_address_found,
# smtp_address_preference and the EHLO/HELO choice (tests/mta_smtp3.sh),
# against loopback peers only.
foreach(case auth_ok auth_fail auth_noplain auth_tls fallback skip5xx ehlo
             addrpref)
    postern_test(NAME mta_smtp3_${case} LABELS mta SKIPPABLE
                 COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/mta_smtp3.sh
                         $<TARGET_FILE:postern> ${case})
endforeach()
