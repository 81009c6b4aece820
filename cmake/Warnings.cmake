# Warnings.cmake - the one list of compiler warnings for every Postern target.
set(POSTERN_WARNINGS
    -Wall                       # the usual set
    -Wextra                     # and the less usual
    -Wpedantic                  # ISO C17 only: no compiler extensions slip in
    -Wformat=2                  # printf-style format checks, incl. non-literal formats
    -Wshadow                    # a local hiding another name is a bug magnet
    -Wstrict-prototypes         # f() means f(void) in C17 only by accident
    -Wmissing-prototypes        # every non-static function has a header declaration
    -Wold-style-definition      # no K&R definitions
    -Wpointer-arith             # no arithmetic on void *
    -Wcast-qual                 # a cast may not drop const: APIs are const-correct
    -Wwrite-strings             # string literals are const
    -Wundef                     # #if on an undefined macro is a typo
    -Wvla                       # no variable-length arrays: bounded stack
    -Wimplicit-fallthrough      # switch fall-through must be marked
    -Werror=implicit-function-declaration
)
if(NOT POSTERN_NO_WERROR)
    list(APPEND POSTERN_WARNINGS -Werror) # DEVELOPERS.md: -Wall -Wextra -Werror
endif()
