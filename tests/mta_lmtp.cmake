# mta_lmtp - delivery to a real Dovecot (issue 18): the lmtp agent (unix
# socket, inet:, host:port, Dovecot down and back), the pipe agent to
# dovecot-lda and to a test command (macros, exit codes), read back over
# IMAP, and spawn running a policy server (tests/mta_lmtp.sh); and the
# pipe agent's unit test.
if(TARGET pipe_test)
    add_test(NAME mta_pipe_unit COMMAND pipe_test)
    set_tests_properties(mta_pipe_unit PROPERTIES LABELS mta)
endif()
foreach(case unix inet hostport down lda pipe spawn handoff)
    add_test(NAME mta_lmtp_${case}
             COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/mta_lmtp.sh
                     $<TARGET_FILE:postern> ${case})
    set_tests_properties(mta_lmtp_${case} PROPERTIES LABELS mta TIMEOUT 90
                         SKIP_RETURN_CODE 77)
endforeach()
