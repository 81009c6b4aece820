#!/usr/bin/env python3
"""sizes.py - no .c file over 900 lines and no function over 120 lines in
lib/, cmd/ and tools/ (issue 17: "house in order"). A long function is
excused by a comment "/* long: REASON */" on one of the three lines above
its name; a file or function is excused by an entry in the allow file:

    PATH            REASON      excuses the file and every function in it
    PATH:FUNCTION   REASON      excuses that function only

PATH is relative to SOURCE_DIR and may be a shell glob (lib/x/*). An entry
without a reason, or one that excuses nothing, is itself an error, so the
list cannot rot.

A function is what the repo's .clang-format writes: its name at the start
of a line, its opening and closing braces alone in column 0.

Usage: tests/style/sizes.py SOURCE_DIR ALLOW_FILE   (exit 1 on a finding)
"""
import fnmatch
import os
import re
import sys

MAX_FILE = 900
MAX_FUNC = 120
DIRS = ('lib', 'cmd', 'tools')
NAME = re.compile(r'^([A-Za-z_]\w*)\s*\(')
LONG = re.compile(r'/\*\s*long:\s*\S.*\*/')


def functions(lines):
    """(name, name line index, length in lines) of each function body"""
    start = name = at = None
    for i, line in enumerate(lines):
        if line == '{' and i > 0:
            j = i - 1
            while j >= 0 and j > i - 6 and not NAME.match(lines[j]):
                j -= 1
            m = NAME.match(lines[j]) if j >= 0 else None
            start, name, at = i, (m.group(1) if m else '?'), j
        elif line == '}' and start is not None:
            yield name, at, i - start
            start = None


def load_allow(path):
    entries = []
    bad = []
    for n, raw in enumerate(open(path), 1):
        line = raw.strip()
        if not line or line.startswith('#'):
            continue
        parts = line.split(None, 1)
        if len(parts) < 2:
            bad.append(f'{path}:{n}: entry "{parts[0]}" has no reason')
            continue
        pat, func = (parts[0].split(':', 1) + [None])[:2]
        entries.append({'where': f'{path}:{n}', 'pat': pat, 'func': func,
                        'used': False})
    return entries, bad


def excused(entries, rel, func=None):
    for e in entries:
        if not fnmatch.fnmatchcase(rel, e['pat']):
            continue
        if e['func'] is None or (func is not None and e['func'] == func):
            e['used'] = True
            return True
    return False


def main(src, allow):
    entries, bad = load_allow(allow)
    for top in DIRS:
        for root, dirs, files in os.walk(os.path.join(src, top)):
            dirs.sort()
            for f in sorted(files):
                if not f.endswith('.c'):
                    continue
                path = os.path.join(root, f)
                rel = os.path.relpath(path, src)
                lines = open(path, errors='replace').read().split('\n')
                nlines = len(lines) - (1 if lines and lines[-1] == '' else 0)
                if nlines > MAX_FILE and not excused(entries, rel):
                    bad.append(f'{rel}: {nlines} lines (at most {MAX_FILE}; '
                               'split it by job)')
                for name, at, n in functions(lines):
                    if n <= MAX_FUNC:
                        continue
                    above = lines[max(0, at - 3):at]
                    if any(LONG.search(a) for a in above):
                        continue
                    if excused(entries, rel, name):
                        continue
                    bad.append(f'{rel}:{at + 1}: {name} is {n} lines (at '
                               f'most {MAX_FUNC}; break it into steps, or '
                               'write "/* long: REASON */" above it)')
    for e in entries:
        if not e['used']:
            bad.append(f'{e["where"]}: entry "{e["pat"]}'
                       f'{":" + e["func"] if e["func"] else ""}" excuses '
                       'nothing; remove it')
    for b in bad:
        print('sizes: ' + b)
    return 1 if bad else 0


if __name__ == '__main__':
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
