# mta_sasl - SMTP AUTH end to end with a real Dovecot (issue 18):
# "postern" checks Postern's replies and log lines against Postfix 3.7's
# texts, smtplib, swaks and fail2ban's filter; "postfix" proves the texts
# on a real Postfix with the same Dovecot (root only; exit 77 otherwise);
# "cyrus" runs Cyrus SASL with sasldb users; "check" the classification.
foreach(case postern cyrus check)
    postern_test(NAME mta_sasl_${case} LABELS mta SKIPPABLE TIMEOUT 180
                 COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/mta_sasl.sh
                         $<TARGET_FILE:postern> ${case})
endforeach()
postern_test(NAME mta_sasl_postfix LABELS mta root SKIPPABLE TIMEOUT 180
             COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/mta_sasl.sh
                     $<TARGET_FILE:postern> postfix)
postern_test(NAME mta_smtpd_sasl_unit LABELS unit COMMAND smtpd_sasl_test)
