# mta_sender_route - sender_dependent_relayhost_maps and
# sender_dependent_default_transport_maps (tests/mta_sender_route.sh)
postern_test(NAME mta_sender_route LABELS mta SKIPPABLE TIMEOUT 120
             COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/mta_sender_route.sh
                     $<TARGET_FILE:postern>)
