# style - house rules that a compiler does not check (issue 17): no call
# of a banned C function (strcpy, sprintf, atoi, strtok, system, popen ...)
# anywhere in lib/, cmd/, tools/ or fuzz/ (tests/style/banned.sh).
postern_test(NAME style_banned LABELS unit style
             COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/style/banned.sh
                     ${CMAKE_SOURCE_DIR})

# every exported symbol of a static library carries its module's prefix,
# or one tests/style/exports.allow grants with a reason (nm over the
# build's libraries, so it runs after them)
postern_test(NAME style_exports LABELS unit style
             COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/style/exports.sh
                     ${CMAKE_BINARY_DIR}
                     ${CMAKE_CURRENT_LIST_DIR}/style/exports.allow)

# lib/ in layers: no module uses one of a layer above, or another
# module's internal header, by #include or by CMake link line
postern_test(NAME style_layers LABELS unit style
             COMMAND ${Python3_EXECUTABLE}
                     ${CMAKE_CURRENT_LIST_DIR}/style/layers.py
                     ${CMAKE_SOURCE_DIR})

# no .c file over 900 lines, no function over 120, in lib/ cmd/ tools/,
# unless "/* long: REASON */" above the function or an entry with a reason
# in tests/style/sizes.allow excuses it
postern_test(NAME style_sizes LABELS unit style
             COMMAND ${Python3_EXECUTABLE}
                     ${CMAKE_CURRENT_LIST_DIR}/style/sizes.py
                     ${CMAKE_SOURCE_DIR}
                     ${CMAKE_CURRENT_LIST_DIR}/style/sizes.allow)

# diagnostics go through the log API (lib/base/util/log.c): no
# fprintf(stderr, "postern: ...") or "NAME: fatal: ..." by hand in lib/ or
# cmd/, where it would bypass the installed outputs (the maillog)
postern_test(NAME style_log_api LABELS unit style
             COMMAND ${Python3_EXECUTABLE}
                     ${CMAKE_CURRENT_LIST_DIR}/style/log_api.py
                     ${CMAKE_SOURCE_DIR})
