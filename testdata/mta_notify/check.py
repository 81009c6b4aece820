#!/usr/bin/env python3
"""check.py - compare a Postern delivery status notice with Postfix's.

  check.py OURS SAMPLE [--sub OLD=NEW ...] [--to ADDR] [--rpath ADDR]
           [--orig-subject S] [--body TEXT]

OURS is a notice that Postern delivered to a Maildir, SAMPLE one that
Postfix 3.7 produced for the same situation (testdata/mta_notify/). The
--sub pairs turn the sample's names into the test's (host name, sender).
Checked: the notice's headers, the MIME structure of the multipart/report,
every part's headers, the human-readable text (identical), the
message/delivery-status fields (same fields in the same order, same
values except queue IDs and dates, which must be well formed), and the
attached original (Return-Path first, then the original headers; the
body only when the sample has it). Exit 1 with a diff-like message on
the first difference.
"""
import argparse
import email
import email.policy
import re
import sys
import time
from email.utils import parsedate_to_datetime

DATE_RE = re.compile(
    r"^[A-Z][a-z]{2}, [ \d]\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d [+-]\d{4} \(\S+\)$")


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def load(path):
    with open(path, "rb") as f:
        return email.message_from_binary_file(f, policy=email.policy.compat32)


def sub(text, pairs):
    for old, new in pairs:
        text = text.replace(old, new)
    return text


def same(what, ours, want):
    if ours != want:
        fail("%s differs:\n--- ours\n%r\n--- postfix\n%r" % (what, ours, want))


def dsn_blocks(part):
    blocks = part.get_payload()
    if not isinstance(blocks, list):
        fail("message/delivery-status part did not parse into field groups")
    return blocks


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ours")
    ap.add_argument("sample")
    ap.add_argument("--sub", action="append", default=[])
    ap.add_argument("--to")
    ap.add_argument("--rpath", help="Return-Path of the attached original")
    ap.add_argument("--orig-subject")
    ap.add_argument("--body", help="text the attached original must hold")
    ap.add_argument("--orig-type", help="Content-Type of the third part, "
                    "when it differs from the sample's (RET, size limit)")
    a = ap.parse_args()
    pairs = [tuple(s.split("=", 1)) for s in a.sub]
    ours, want = load(a.ours), load(a.sample)

    # the notice's own headers: the same ones in the same order, then
    # the same values where they do not name times and queue IDs
    same("notice header names", ours.keys(), want.keys())
    if not re.match(r"^by %s \(\S+\)\s+id [0-9A-F]+; " % re.escape(
            sub("mta.bench.test", pairs)), ours["Received"]):
        fail("Received: %r is not post_mail's 'by HOST (NAME) id ID; DATE'"
             % ours["Received"])
    for h in ("Subject", "From", "Auto-Submitted", "MIME-Version",
              "Content-Transfer-Encoding"):
        same("header " + h, ours.get(h), sub(want.get(h) or "", pairs) or None)
    if a.to:
        same("header To", ours.get("To"), a.to)
    same("Content-Type", (ours.get_content_type(), ours.get_param("report-type")),
         (want.get_content_type(), want.get_param("report-type")))
    boundary = ours.get_boundary()
    if not boundary or "/" not in boundary:
        fail("boundary %r is not Postfix's ID.time/host form" % boundary)

    # the parts: same number, same part headers
    op, wp = ours.get_payload(), want.get_payload()
    same("number of MIME parts", len(op), len(wp))
    for i, (o, w) in enumerate(zip(op, wp)):
        if i == 2 and a.orig_type:
            same("part 3 Content-Type", o.get_content_type(), a.orig_type)
            continue
        same("part %d headers" % (i + 1), o.items(), w.items())

    # 1: the human-readable text, exactly
    same("human-readable part", op[0].get_payload(),
         sub(wp[0].get_payload(), pairs))

    # 2: the delivery report
    ob, wb = dsn_blocks(op[1]), dsn_blocks(wp[1])
    same("number of DSN field groups", len(ob), len(wb))
    arrival = None
    for i, (o, w) in enumerate(zip(ob, wb)):
        same("DSN group %d field names" % i, o.keys(), w.keys())
        for k, v in o.items():
            if k in ("Arrival-Date", "Will-Retry-Until"):
                if not DATE_RE.match(v):
                    fail("%s: %r is not a Postfix mail_date" % (k, v))
                if k == "Arrival-Date":
                    arrival = parsedate_to_datetime(v)
                elif (parsedate_to_datetime(v) - arrival).days != 5:
                    fail("Will-Retry-Until is not arrival + maximal_queue_lifetime")
            elif k == "X-Postfix-Queue-ID":
                if not re.match(r"^[0-9A-F]{6,}$", v):
                    fail("X-Postfix-Queue-ID %r" % v)
            else:
                same("DSN field " + k, v, sub(w[k], pairs))

    # 3: the original
    orig = op[2]
    if orig.get_content_type() == "message/rfc822":
        inner = orig.get_payload()[0]
        text = inner.as_string()
    else:
        text = orig.get_payload()
        inner = email.message_from_string(text, policy=email.policy.compat32)
    keys = inner.keys()
    if not keys or keys[0] != "Return-Path":
        fail("attached original does not start with Return-Path: %r" % keys[:3])
    if a.rpath:
        same("attached Return-Path", inner["Return-Path"], "<%s>" % a.rpath)
    if a.orig_subject:
        same("attached Subject", inner["Subject"], a.orig_subject)
    for h in ("Received", "From", "To", "Message-ID"):
        if h not in inner:
            fail("attached original lacks its %s header" % h)
    if a.body is not None:
        if a.body not in text:
            fail("attached original lacks its body %r" % a.body)
    if orig.get_content_type() == "text/rfc822-headers":
        if "\n\n" in text.strip("\n"):
            fail("text/rfc822-headers part holds more than headers")
    print("ok: %s matches %s" % (a.ours, a.sample.split("/")[-1]))


if __name__ == "__main__":
    main()
