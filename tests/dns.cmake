# postern dns (issue 7): parser unit tests (dnscheck_policy_test, built in
# lib/tools/dnscheck), and tests/dns.sh against unbound serving
# testdata/dns on 127.0.0.1 (skipped, exit 77, when unbound or ldnsutils
# are missing). The goldens are rewritten by the build target dns_update.
postern_test(NAME dns_policy_unit LABELS unit dns COMMAND dnscheck_policy_test)
foreach(mode golden timeout concurrency malformed docs)
    postern_test(NAME dns_${mode} LABELS cli dns SKIPPABLE TIMEOUT 120
                 COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/dns.sh
                         $<TARGET_FILE:postern> ${mode})
endforeach()
add_custom_target(dns_update
    COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/dns.sh --update
            $<TARGET_FILE:postern> golden
    DEPENDS postern
    COMMENT "Rewriting testdata/dns/cases/*/want.* (review the diff)"
    VERBATIM)
