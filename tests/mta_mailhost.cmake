# mta_mailhost - examples/mailhost end to end with a real Dovecot (issue
# 18): submission and submissions with SMTP AUTH through Dovecot's auth
# service, virtual domains, LMTP delivery read back over IMAP, relaying
# after AUTH, the refusals (wrong password, AUTH before STARTTLS, sender
# login mismatch, unknown user, relay on port 25).
postern_test(NAME mta_mailhost LABELS mta SKIPPABLE TIMEOUT 180
             COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/mta_mailhost.sh
                     $<TARGET_FILE:postern>)
