# mta_virtual - virtual hosting end to end (tests/mta_virtual.sh): alias
# expansion, unknown users at RCPT, relay domains, the virtual agent,
# exactly once after SIGKILL; as root, the mailbox owner's uid and the
# comparisons with a real Postfix (tests/postfix_peer.sh).
foreach(case expand limits relay crash)
    postern_test(NAME mta_virtual_${case} LABELS mta SKIPPABLE TIMEOUT 120
                 COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/mta_virtual.sh
                         $<TARGET_FILE:postern> ${case})
endforeach()
foreach(case root postfix postfix_limit)
    postern_test(NAME mta_virtual_${case} LABELS mta root SKIPPABLE
                 TIMEOUT 120
                 COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/mta_virtual.sh
                         $<TARGET_FILE:postern> ${case})
endforeach()
