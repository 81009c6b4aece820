# check_values - the value checks of "postern check" (issue 16):
# transports, table types and files, TLS levels (tests/check_values.sh,
# testdata/check_values), one ctest per case and one for the corpus.
if(TARGET postern)
    foreach(case bad_transports good_transports bad_tables good_tables
                 bad_tls good_tls bad_enum good_enum corpus)
        add_test(NAME check_values_${case}
                 COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/check_values.sh
                         $<TARGET_FILE:postern> ${case})
        set_tests_properties(check_values_${case} PROPERTIES
            LABELS cli TIMEOUT 60)
    endforeach()
    # an instance at smtp_tls_security_level = dane neither starts nor
    # sends in clear (tests/mta_tls_level.sh)
    foreach(case start deliver smtpd legacy)
        add_test(NAME mta_tls_level_${case}
                 COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/mta_tls_level.sh
                         $<TARGET_FILE:postern> ${case})
        set_tests_properties(mta_tls_level_${case} PROPERTIES TIMEOUT 60
                             SKIP_RETURN_CODE 77)
    endforeach()
endif()
