#!/usr/bin/python3
"""argtest.py ARGS... - a command for the pipe agent's tests: writes its
arguments, its environment's names and the first lines of its standard
input as JSON to $ARGTEST_DIR/<pid>.json, then exits as the first
recipient-like argument asks: an argument starting "nouser" exits 67
(EX_NOUSER) after printing "no such user", "tempfail" exits 75
(EX_TEMPFAIL) after printing "try later", "sleepy" sleeps a minute
(the time limit test), anything else exits 0."""
import json
import os
import sys
import time

data = sys.stdin.read()
out = os.environ.get("ARGTEST_DIR", "/nonexistent")
with open(os.path.join(out, "%d.json" % os.getpid()), "w") as f:
    json.dump({"argv": sys.argv[1:], "env": sorted(os.environ),
               "uid": os.getuid(), "groups": os.getgroups(),
               "head": data.split("\n")[:3], "size": len(data)}, f)
for a in sys.argv[1:]:
    if a.startswith("nouser"):
        print("no such user")
        sys.exit(67)
    if a.startswith("tempfail"):
        print("try later")
        sys.exit(75)
    if a.startswith("sleepy"):
        print("sleeping", flush=True)
        time.sleep(60)
sys.exit(0)
