# check_values - the value checks of "postern check" (issue 16):
# transports, table types and files, TLS levels (tests/check_values.sh,
# testdata/check_values), one ctest per case and one for the corpus.
foreach(case bad_transports good_transports bad_tables good_tables
             bad_tls good_tls bad_enum good_enum corpus)
    postern_test(NAME check_values_${case} LABELS cli
                 COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/check_values.sh
                         $<TARGET_FILE:postern> ${case})
endforeach()
# an instance at smtp_tls_security_level = dane neither starts nor
# sends in clear (tests/mta_tls_level.sh)
foreach(case start deliver smtpd legacy)
    postern_test(NAME mta_tls_level_${case} LABELS mta SKIPPABLE
                 COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/mta_tls_level.sh
                         $<TARGET_FILE:postern> ${case})
endforeach()
