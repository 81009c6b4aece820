# mta_haproxy - smtpd_upstream_proxy_protocol = haproxy (tests/mta_haproxy.sh):
# scripted PROXY v1/v2 headers and Debian's real haproxy in front; the
# postfix case compares replies and log lines with a real Postfix (root)
postern_test(NAME mta_haproxy_basic LABELS mta SKIPPABLE TIMEOUT 120
             COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/mta_haproxy.sh
                     $<TARGET_FILE:postern> basic)
postern_test(NAME mta_haproxy_postfix LABELS mta root SKIPPABLE TIMEOUT 120
             COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/mta_haproxy.sh
                     $<TARGET_FILE:postern> postfix)
