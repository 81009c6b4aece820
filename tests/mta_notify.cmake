# mta_notify - bounces, delay warnings and postmaster notices for relayed
# mail (tests/mta_notify.sh): Postern relays to smtp-sink in its hard and
# soft reject modes on loopback, and the notices, delivered to local
# Maildirs, are compared with samples from Postfix 3.7.
foreach(case bounce dsn loop delay expire success discard)
    postern_test(NAME mta_notify_${case} LABELS mta SKIPPABLE
                 COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/mta_notify.sh
                         $<TARGET_FILE:postern> ${case})
endforeach()
