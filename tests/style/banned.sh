#!/bin/sh
# banned.sh - no call of a C function that invites overflows, silent
# number conversion or a shell (issue 17, "Style enforced"): strcpy,
# strcat, sprintf, vsprintf, gets, atoi, atol, atoll, strtok (not
# reentrant), tmpnam, mktemp, system, popen. Use snprintf/memcpy with
# lengths, strtol with an end check, strtok_r, mkstemp/mkdtemp, and
# fork+exec without a shell. Comments and string literals do not count.
#
# Usage: banned.sh SOURCE_ROOT; exit 0 clean, 1 with file:line of each.
root=${1:-.}
banned='strcpy|strcat|sprintf|vsprintf|gets|atoi|atol|atoll|strtok|tmpnam|mktemp|system|popen'
status=0
for f in $(find "$root/lib" "$root/cmd" "$root/tools" "$root/fuzz" \
    -name '*.[ch]' | sort); do
    # drop /* */ comments, // comments and string/char literals, keep
    # line numbers, then look for a banned name followed by "("
    hits=$(sed -e 's/"\([^"\\]\|\\.\)*"/""/g' \
               -e "s/'\\([^'\\\\]\\|\\\\.\\)'/''/g" "$f" |
        awk '{
            line = $0
            out = ""
            while (length(line) > 0) {
                if (incomment) {
                    i = index(line, "*/")
                    if (i == 0) { line = ""; break }
                    line = substr(line, i + 2); incomment = 0
                } else {
                    i = index(line, "/*"); j = index(line, "//")
                    if (j > 0 && (i == 0 || j < i)) { out = out substr(line, 1, j - 1); line = ""; break }
                    if (i == 0) { out = out line; line = ""; break }
                    out = out substr(line, 1, i - 1); line = substr(line, i + 2); incomment = 1
                }
            }
            print out
        }' | grep -nE "(^|[^A-Za-z0-9_.>])($banned)[[:space:]]*\(" )
    if [ -n "$hits" ]; then
        echo "$hits" | sed "s|^|$f:|"
        status=1
    fi
done
[ $status -eq 0 ] || echo "banned.sh: the calls above use banned functions" >&2
exit $status
