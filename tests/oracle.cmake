# Oracle tests: every corpus entry x every read mode, compared byte for
# byte (stdout, stderr, exit status) with real Postfix 3.7.11 postconf
# output kept in testdata/oracle. One ctest per corpus entry.
file(GLOB _or_entries LIST_DIRECTORIES true CONFIGURE_DEPENDS
     ${CMAKE_CURRENT_LIST_DIR}/../testdata/corpus/*)
list(APPEND _or_entries _defaults)
foreach(_or_e IN LISTS _or_entries)
    get_filename_component(_or_name ${_or_e} NAME)
    postern_test(NAME oracle_${_or_name} LABELS cli oracle postconf
                 SKIPPABLE TIMEOUT 300
                 COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/oracle.sh
                         $<TARGET_FILE_DIR:postern>/postconf ${_or_name})
    # Entries share /tmp/postconf-oracle/<entry> only per entry, but
    # the oracle path is fixed: keep them serial.
    set_tests_properties(oracle_${_or_name} PROPERTIES
        RESOURCE_LOCK postconf_oracle)
endforeach()
