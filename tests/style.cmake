# style - house rules that a compiler does not check (issue 17): no call
# of a banned C function (strcpy, sprintf, atoi, strtok, system, popen ...)
# anywhere in lib/, cmd/, tools/ or fuzz/ (tests/style/banned.sh).
add_test(NAME style_banned
         COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/style/banned.sh
                 ${CMAKE_SOURCE_DIR})
set_tests_properties(style_banned PROPERTIES LABELS unit TIMEOUT 60)

# every exported symbol of a static library carries its module's prefix,
# or one tests/style/exports.allow grants with a reason (nm over the
# build's libraries, so it runs after them)
add_test(NAME style_exports
         COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/style/exports.sh
                 ${CMAKE_BINARY_DIR} ${CMAKE_CURRENT_LIST_DIR}/style/exports.allow)
set_tests_properties(style_exports PROPERTIES LABELS unit TIMEOUT 60)

# lib/ in layers: no module uses one of a layer above, or another
# module's internal header, by #include or by CMake link line
add_test(NAME style_layers
         COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/style/layers.py
                 ${CMAKE_SOURCE_DIR})
set_tests_properties(style_layers PROPERTIES LABELS unit TIMEOUT 60)

# no .c file over 900 lines, no function over 120, in lib/ cmd/ tools/,
# unless "/* long: REASON */" above the function or an entry with a reason
# in tests/style/sizes.allow excuses it
add_test(NAME style_sizes
         COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/style/sizes.py
                 ${CMAKE_SOURCE_DIR} ${CMAKE_CURRENT_LIST_DIR}/style/sizes.allow)
set_tests_properties(style_sizes PROPERTIES LABELS unit TIMEOUT 60)
