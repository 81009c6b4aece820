# mta_sasl - SMTP AUTH end to end with a real Dovecot (issue 18):
# "postern" checks Postern's replies and log lines against Postfix 3.7's
# texts, smtplib, swaks and fail2ban's filter; "postfix" proves the texts
# on a real Postfix with the same Dovecot (root only; exit 77 otherwise).
foreach(case postern postfix check cyrus)
    add_test(NAME mta_sasl_${case}
             COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/mta_sasl.sh
                     $<TARGET_FILE:postern> ${case})
    set_tests_properties(mta_sasl_${case} PROPERTIES TIMEOUT 120
                         SKIP_RETURN_CODE 77 LABELS mta)
endforeach()
if(TARGET smtpd_sasl_test)
    add_test(NAME mta_smtpd_sasl_unit COMMAND smtpd_sasl_test)
endif()
