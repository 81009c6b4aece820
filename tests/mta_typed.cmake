# mta_typed - typed parameters from the schema (issue 16): check/start
# refuse malformed values, daemons are fatal on them with file:line, and
# a daemon's stderr reaches the maillog (tests/mta_typed.sh).
foreach(_case check daemon stderr)
    postern_test(NAME mta_typed_${_case} LABELS mta SKIPPABLE
                 COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/mta_typed.sh
                         $<TARGET_FILE:postern> ${_case})
endforeach()
