#!/usr/bin/env python3
"""log_api.py - diagnostics go through the log API (lib/base/util/log.c,
docs/ARCHITECTURE.md "One log API"), not straight to stderr: a line
written with fprintf(stderr, ...) bypasses the installed outputs, so in a
daemon it never reaches the maillog, and its format is not the one
place that defines it. Fails, with file:line, on a call in lib/ or cmd/
that writes a diagnostic to stderr by hand:

  fprintf(stderr, "postern: ...")           the program's own prefix
  fprintf(stderr, "postern map: ...")       (any "postern ...:" prefix,
  fprintf(stderr, "postsuper: ...")         and the names it runs as)
  fprintf(stderr, "%s: fatal: ...", prog)   any "NAME: LEVEL: " line,
                                            LEVEL warning/error/fatal/panic
  vfprintf, dprintf(2, ...) likewise; perror(...)

Usage text, --help and reports that are the command's product are
plain writes and do not look like these. Comments and the outputs
themselves (util/log.c, maillog/maillog.c) are not checked.

Usage: tests/style/log_api.py SOURCE_DIR    (exit 1 on any violation)
"""
import os
import re
import sys

# the outputs: they are the one place that writes a line to stderr
OUTPUTS = {'lib/base/util/log.c', 'lib/base/maillog/maillog.c'}

LEVEL = r'(?:warning|error|fatal|panic)'
CALL = re.compile(
    r'\b(?:v?fprintf\s*\(\s*stderr|dprintf\s*\(\s*(?:2|STDERR_FILENO))'
    r'\s*,\s*"'
    r'(?:(?:postern[a-z ]*|sendmail|mailq|postsuper|postqueue|postdrop'
    r'|postconf|postfix):'                     # "postern: ", "postern map: "
    r'|[^"\\]*: ' + LEVEL + r': )'             # "sendmail: fatal: ", "%s: error: "
    r'|\bperror\s*\(')


def strip_comments(text):
    """comments blanked, newlines kept (line numbers stay right)"""
    def blank(m):
        return re.sub(r'[^\n]', ' ', m.group(0))
    return re.sub(r'/\*.*?\*/|//[^\n]*|"(?:[^"\\\n]|\\.)*"',
                  lambda m: m.group(0) if m.group(0)[0] == '"' else blank(m),
                  text, flags=re.S)


def main(src):
    bad = 0
    for top in ('lib', 'cmd'):
        for dirpath, _, files in os.walk(os.path.join(src, top)):
            for name in sorted(files):
                if not name.endswith(('.c', '.h')):
                    continue
                path = os.path.join(dirpath, name)
                rel = os.path.relpath(path, src)
                if rel in OUTPUTS:
                    continue
                text = strip_comments(open(path, errors='replace').read())
                for m in CALL.finditer(text):
                    line = text.count('\n', 0, m.start()) + 1
                    print(f'{rel}:{line}: a diagnostic written to stderr by '
                          f'hand: use log_warn/log_msg (util/util.h)')
                    bad = 1
    if bad:
        print('log_api.py: the calls above bypass the log API',
              file=sys.stderr)
    return bad


if __name__ == '__main__':
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else '.'))
