#!/usr/bin/python3
"""logcheck.py - the smtpd log lines of a dialogue run (see README).

    logcheck.py [--allow FILE] [--record] EXPECTED MAILLOG

The distinct smtpd lines of MAILLOG ("connect from" and anvil's
"statistics:" left out), with the
time, host, process ID and queue IDs taken away and sorted, must be the
lines of EXPECTED: Postfix 3.7's lines for the same dialogues, which
log analysers and fail2ban filters match. Lines matching a regular
expression of the --allow file may be missing or extra (the differences
the README explains). --record prints MAILLOG's lines (a new EXPECTED).
Exit status: 0 same, 1 different (each difference printed).
"""
import argparse
import re
import sys

LINE = re.compile(r"^\w{3} [ \d]\d \d\d:\d\d:\d\d \S+ (\S+?)\[\d+\]: (.*)$")


def lines(path):
    out = set()
    with open(path, encoding="utf-8", errors="replace") as f:
        for raw in f:
            m = LINE.match(raw.rstrip("\n"))
            if not m or m.group(1) != "postfix/smtpd":
                continue
            text = m.group(2)
            # "statistics:" is anvil's (Postern's front logs it as smtpd)
            if text.startswith(("connect from ", "statistics: ")):
                continue
            out.add(re.sub(r"\b[0-9A-F]{10,}\b", "QID", text))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--allow")
    ap.add_argument("--record", action="store_true")
    ap.add_argument("expected")
    ap.add_argument("maillog")
    a = ap.parse_args()
    got = lines(a.maillog)
    if a.record:
        print("\n".join(sorted(got)))
        return 0
    with open(a.expected, encoding="utf-8") as f:
        want = {l.rstrip("\n") for l in f if l.strip()}
    allow = []
    if a.allow:
        with open(a.allow, encoding="utf-8") as f:
            allow = [re.compile(l.rstrip("\n")) for l in f
                     if l.strip() and not l.startswith("#")]
    bad = 0
    for l in sorted(want - got):
        if not any(r.search(l) for r in allow):
            print("missing log line: " + l)
            bad += 1
    for l in sorted(got - want):
        if not any(r.search(l) for r in allow):
            print("extra log line:   " + l)
            bad += 1
    print("%s: %d smtpd log lines, %d differ from %s"
          % (a.maillog, len(got), bad, a.expected))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
