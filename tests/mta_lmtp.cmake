# mta_lmtp - delivery to a real Dovecot (issue 18): the lmtp agent (unix
# socket, inet:, host:port, Dovecot down and back), the pipe agent to
# dovecot-lda and to a test command (macros, exit codes, time limit),
# local's hand-offs, read back over IMAP, and spawn running a policy
# server (tests/mta_lmtp.sh); and the pipe agent's unit test (pipe_test,
# built by lib/daemons/pipe).
postern_test(NAME mta_pipe_unit LABELS unit COMMAND pipe_test)
foreach(case unix inet hostport down quota lda pipe spawn handoff)
    postern_test(NAME mta_lmtp_${case} LABELS mta SKIPPABLE TIMEOUT 90
                 COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/mta_lmtp.sh
                         $<TARGET_FILE:postern> ${case})
endforeach()
