#!/usr/bin/python3
"""run.py - the declarative SMTP dialogue runner (see README).

    run.py [--jobs N] --target NAME=HOST:BASEPORT [--target ...]
           [--services FILE] [--record] FILE.dlg...

Each dialogue of each file is played against every target. Service i
of the services file (0 = the first line) listens on BASEPORT + i on
every target, so one instance per target serves all the dialogues.

A target's replies must equal the expected '<' lines of the file (and
the '<NAME' lines meant for that target only), after normalisation of
what must differ: the banner's product name and queue IDs. With two
targets (postfix and postern) this is the differential test: the file's
expectations are checked against real Postfix and against Postern in
the same run, so a file cannot drift from Postfix's real behaviour.

--record plays each dialogue against the first target only and prints
the files with its replies in place of the '<' lines (a draft of new
expectations; read it before committing it).

Exit status: 0 all dialogues pass, 1 a difference (each one printed),
2 a usage or file error.
"""
import argparse
import concurrent.futures
import os
import re
import socket
import ssl
import sys
import time

TIMEOUT = 5.0          # seconds to wait for a reply that is expected
RECORD_IDLE = 0.4      # --record: the reply group is over after this quiet
SLOW = 0.8             # "= slow": the next reply comes this late or later
REPLY_MORE = re.compile(rb"^\d{3}-")


class FileError(Exception):
    pass


class Dialogue:
    """One connection: a list of steps (send bytes / expect reply lines)"""

    def __init__(self, path, line, name, service):
        self.path = path
        self.line = line
        self.name = name
        self.service = service
        # ["send", bytes] | ["expect", target, text, ln] | ["slow"|"tls", ln]
        self.steps = []
        self.text = []         # the source lines, for --record

    def where(self):
        return "%s:%d: %s" % (self.path, self.line, self.name)


def expand(text, path, ln):
    """{{expr}}: a Python expression over string literals ('a' * 300);
    \\r \\n \\t \\\\ and \\xHH escapes for control characters"""
    def ev(m):
        try:
            return str(eval(m.group(1), {"__builtins__": {}}, {}))
        except Exception as e:  # a broken file must say where
            raise FileError("%s:%d: bad {{%s}}: %s" % (path, ln, m.group(1), e))
    text = re.sub(r"\{\{(.*?)\}\}", ev, text)
    return text.encode("utf-8").decode("unicode_escape").encode("latin-1") \
        if "\\" in text else text.encode("utf-8")


def parse(path, services):
    dialogues = []
    d = None
    with open(path, encoding="utf-8") as f:
        for ln, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            if d is not None and not line.startswith("@"):
                d.text.append(line)
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            if line.startswith("@"):
                words = line[1:].split()
                if not words:
                    raise FileError("%s:%d: '@' needs a dialogue name" % (path, ln))
                svc = words[1] if len(words) > 1 else services[0]
                if svc not in services:
                    raise FileError("%s:%d: unknown service %s" % (path, ln, svc))
                d = Dialogue(path, ln, words[0], svc)
                d.text.append(line)
                dialogues.append(d)
                continue
            if d is None:
                raise FileError("%s:%d: text before the first '@'" % (path, ln))
            if line.strip() in ("= slow", "= tls"):
                d.steps.append([line.strip()[2:], ln])
                continue
            m = re.match(r"^(>|\+|<[a-z]*|<~)( (.*))?$", line)
            if not m:
                raise FileError("%s:%d: expected '@', '>', '+', '<', '<~' or "
                                "'= slow': %s" % (path, ln, line))
            op, arg = m.group(1), m.group(3) or ""
            eol = b"\r\n"
            if op in (">", "+") and arg.endswith("\\c"):
                arg, eol = arg[:-2], b""  # no CRLF (a BDAT chunk's end)
            if op == ">":
                d.steps.append(["send", expand(arg, path, ln) + eol])
            elif op == "+":
                if not d.steps or d.steps[-1][0] != "send":
                    raise FileError("%s:%d: '+' must follow '>' or '+'" % (path, ln))
                d.steps[-1][1] += expand(arg, path, ln) + eol
            elif op == "<~":
                d.steps.append(["expect", None, "~" + arg, ln])
            else:
                d.steps.append(["expect", op[1:] or None, arg, ln])
    return dialogues


def normalise(line):
    line = re.sub(r"queued as [0-9A-Za-z]+", "queued as QUEUEID", line)
    return line


class Conn:
    def __init__(self, host, port):
        self.sock = socket.create_connection((host, port), timeout=TIMEOUT)
        self.buf = b""
        self.closed = False

    def readline(self, timeout):
        end = time.monotonic() + timeout
        while b"\n" not in self.buf:
            if self.closed:
                return None
            left = end - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                return None
            except OSError:
                data = b""
            if not data:
                self.closed = True
                if not self.buf:
                    return None
                self.buf += b"\n"
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return line.rstrip(b"\r")

    def reply(self, timeout=TIMEOUT):
        """one whole reply as a list of lines; [] nothing; None closed"""
        lines = []
        while True:
            line = self.readline(timeout if not lines else TIMEOUT)
            if line is None:
                if not lines and self.closed:
                    return None
                return lines
            lines.append(line.decode("utf-8", "replace"))
            if not REPLY_MORE.match(line):
                return lines

    def starttls(self):
        """the TLS handshake (after "220 Ready to start TLS"); None or
        the error"""
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        try:
            self.sock = ctx.wrap_socket(self.sock,
                                        server_hostname="mx.example.test")
        except (OSError, ssl.SSLError) as e:
            return str(e)
        self.buf = b""
        return None

    def send(self, data):
        try:
            self.sock.sendall(data)
        except OSError:
            self.closed = True

    def close(self):
        self.sock.close()


def banner_ok(lines):
    return (lines and len(lines) == 1 and
            re.match(r"^220 mx\.example\.test ESMTP \S", lines[0]))


def script(d, target):
    """d's steps for one target: ("send", bytes) and ("expect", [lines],
    line number), a multi-line reply's '<' lines gathered in one"""
    out = []
    for st in d.steps:
        if st[0] == "send":
            out.append(("send", st[1], 0))
            continue
        if st[0] in ("slow", "tls"):
            out.append((st[0], None, st[1]))
            continue
        _, only, text, ln = st
        if only is not None and only != target:
            continue
        prev = out[-1] if out else None
        if (prev and prev[0] == "expect" and
                REPLY_MORE.match(prev[1][-1].encode())):
            prev[1].append(text)
        else:
            out.append(("expect", [text], ln))
    return out


def play(d, target, host, port):
    """the differences of dialogue d against one target, as text lines"""
    try:
        c = Conn(host, port)
    except OSError as e:
        return ["%s [%s]: connect to port %d: %s" % (d.where(), target, port, e)]
    try:
        b = c.reply()
        if not banner_ok(b):
            return ["%s [%s]: banner: %r" % (d.where(), target, b)]
        slow = False
        sent = time.monotonic()
        for kind, what, ln in script(d, target):
            if kind == "send":
                c.send(what)
                sent = time.monotonic()
                continue
            if kind == "slow":
                slow = True
                continue
            if kind == "tls":
                err = c.starttls()
                if err:
                    return ["%s:%d [%s] %s: TLS handshake: %s"
                            % (d.path, ln, target, d.name, err)]
                continue
            got = c.reply()
            head = "%s:%d [%s] %s:" % (d.path, ln, target, d.name)
            if slow and time.monotonic() - sent < SLOW:
                return ["%s want the reply after %gs or more (the tarpit), "
                        "got it after %.2fs" % (head, SLOW,
                                                time.monotonic() - sent)]
            slow = False
            if what == ["CLOSED"]:
                if got is not None:
                    return ["%s want the connection closed, got %r" % (head, got)]
                continue
            if not got:
                return ["%s want %r, got %s" % (
                    head, " | ".join(what), "the connection closed"
                    if got is None else "no reply in %gs" % TIMEOUT)]
            if what[0].startswith("~"):
                code = what[0][1:].strip()
                if not got[-1].startswith(code):
                    return ["%s want a %s reply, got %r" % (head, code, got)]
                continue
            got = [normalise(x) for x in got]
            if got != what:
                return ["%s\n    want: %s\n    got:  %s"
                        % (head, " | ".join(what), " | ".join(got))]
    finally:
        c.close()
    return []


def record(d, host, port):
    """d's source with the '<' lines replaced by the target's replies"""
    c = Conn(host, port)
    c.reply()
    sends = iter([s[1] for s in d.steps if s[0] == "send"])
    lines = [x for x in d.text if not x.startswith("<")]
    out = []
    for k, line in enumerate(lines):
        out.append(line)
        if line.strip() == "= tls":
            c.starttls()
            continue
        if not line.startswith((">", "+")):
            continue
        if k + 1 < len(lines) and lines[k + 1].startswith("+"):
            continue
        c.send(next(sends))
        got = c.reply(TIMEOUT)
        while got:
            out += ["< " + normalise(x) for x in got]
            got = c.reply(RECORD_IDLE)
        if got is None:
            out.append("< CLOSED")
            out += [x for x in lines[k + 1:] if not x.startswith((">", "+"))]
            break
    c.close()
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--target", action="append", required=True,
                    help="NAME=HOST:BASEPORT (NAME: postfix or postern)")
    ap.add_argument("--services", help="the services file (default: "
                    "'services' next to this script)")
    ap.add_argument("--jobs", type=int, default=8)
    ap.add_argument("--record", action="store_true")
    ap.add_argument("files", nargs="+")
    a = ap.parse_args()
    sfile = a.services or os.path.join(os.path.dirname(__file__), "services")
    services = []
    with open(sfile) as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                services.append(line.split()[0])
    targets = []
    for t in a.target:
        m = re.match(r"^(\w+)=([\w.:]+):(\d+)$", t)
        if not m:
            ap.error("bad --target %s" % t)
        targets.append((m.group(1), m.group(2), int(m.group(3))))
    try:
        dialogues = [d for p in a.files for d in parse(p, services)]
    except (FileError, OSError) as e:
        print(e, file=sys.stderr)
        return 2
    names = {}
    for d in dialogues:
        if d.name in names:
            print("%s: dialogue name also at %s" % (d.where(), names[d.name]),
                  file=sys.stderr)
            return 2
        names[d.name] = d.where()
    if a.record:
        name, host, base = targets[0]
        with concurrent.futures.ThreadPoolExecutor(a.jobs) as ex:
            outs = ex.map(lambda d: record(
                d, host, base + services.index(d.service)), dialogues)
            for d, out in zip(dialogues, outs):
                print("\n".join(out))
        return 0
    jobs = []
    with concurrent.futures.ThreadPoolExecutor(a.jobs) as ex:
        for d in dialogues:
            for name, host, base in targets:
                jobs.append(ex.submit(play, d, name, host,
                                      base + services.index(d.service)))
        errs = [e for j in jobs for e in j.result()]
    for e in errs:
        print("FAIL " + e)
    print("%d dialogues x %d targets (%s): %d failed"
          % (len(dialogues), len(targets), ", ".join(t[0] for t in targets),
             len(errs)))
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
