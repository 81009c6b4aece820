# mta_milter2 - smtpd_milters at each SMTP stage, with Postfix 3.7's
# replies and log lines (tests/mta_milter2.sh).
foreach(case connect helo mail rcpt local_edit local_reject local_rcpt local_dkim
         rspamd down header_checks shutdown settings data)
    postern_test(NAME mta_milter2_${case} LABELS mta milter SKIPPABLE
                 TIMEOUT 180
                 COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/mta_milter2.sh
                         $<TARGET_FILE:postern> ${case})
endforeach()
