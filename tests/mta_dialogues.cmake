# mta_dialogues - the SMTP dialogues of tests/dialogues/*.dlg (see its
# README): "golden" plays them against one Postern instance; "diff" also
# against an isolated real Postfix 3.7 instance configured alike, and both
# must give the files' replies (root: skipped with exit 77 otherwise).
# The build target mta_dialogues_log_update rewrites
# tests/dialogues/maillog.expected from a real Postfix (as root).
postern_test(NAME mta_dialogues_golden LABELS mta SKIPPABLE TIMEOUT 120
             COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/dialogues.sh
                     $<TARGET_FILE:postern> golden)
postern_test(NAME mta_dialogues_diff LABELS mta root SKIPPABLE TIMEOUT 120
             COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/dialogues.sh
                     $<TARGET_FILE:postern> diff)
add_custom_target(mta_dialogues_log_update
    COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/dialogues.sh
            $<TARGET_FILE:postern> record-log
    DEPENDS postern
    COMMENT "Rewriting tests/dialogues/maillog.expected from Postfix's log"
    VERBATIM)
