# style - house rules that a compiler does not check (issue 17): no call
# of a banned C function (strcpy, sprintf, atoi, strtok, system, popen ...)
# anywhere in lib/, cmd/, tools/ or fuzz/ (tests/style/banned.sh).
add_test(NAME style_banned
         COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/style/banned.sh
                 ${CMAKE_SOURCE_DIR})
set_tests_properties(style_banned PROPERTIES LABELS unit TIMEOUT 60)
