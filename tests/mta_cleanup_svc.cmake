# mta_cleanup_svc - cleanup_service_name: a second cleanup with its own
# checks per smtpd listener (tests/mta_cleanup_svc.sh)
postern_test(NAME mta_cleanup_service LABELS mta SKIPPABLE TIMEOUT 120
             COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/mta_cleanup_svc.sh
                     $<TARGET_FILE:postern>)
