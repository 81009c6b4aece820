# mta_dsn_filter - smtp_delivery_status_filter and friends
# (tests/mta_dsn_filter.sh)
postern_test(NAME mta_dsn_filter LABELS mta SKIPPABLE TIMEOUT 120
             COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/mta_dsn_filter.sh
                     $<TARGET_FILE:postern>)
