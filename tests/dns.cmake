# postern dns (issue 7): parser unit tests, and tests/dns.sh against
# unbound serving testdata/dns on 127.0.0.1 (skipped, exit 77, when unbound
# or ldnsutils are missing).
if(TARGET dnscheck)
    add_executable(dnscheck_policy_test ${PROJECT_SOURCE_DIR}/lib/tools/dnscheck/dnscheck_policy_test.c)
    target_link_libraries(dnscheck_policy_test PRIVATE dnscheck util PkgConfig::CMOCKA)
    target_compile_options(dnscheck_policy_test PRIVATE ${POSTERN_WARNINGS})
    add_test(NAME dns_policy_unit COMMAND dnscheck_policy_test)
    set_tests_properties(dns_policy_unit PROPERTIES LABELS dns)
endif()
if(TARGET postern)
    foreach(mode golden timeout concurrency malformed docs)
        add_test(NAME dns_${mode} COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/dns.sh
                                          $<TARGET_FILE:postern> ${mode})
        set_tests_properties(dns_${mode} PROPERTIES LABELS dns
                             SKIP_RETURN_CODE 77 TIMEOUT 120)
    endforeach()
endif()
