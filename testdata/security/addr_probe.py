#!/usr/bin/python3
"""addr_probe.py - SMTP conversations for tests/security/addr_*.sh.

  addr_probe.py record PORT < cases    print "case<TAB>reply" per case
  addr_probe.py check PORT FILE        run FILE's cases, compare replies

A case is one line: "SRC<TAB>CMD ;; CMD ...". SRC is the loopback
address the client binds (127.0.0.1 is in the test's mynetworks,
127.0.0.2 is not). Each case is a new connection: the greeting, EHLO,
then the commands, each followed by a NOOP whose reply marks the end of
the command's replies (restrictions never apply to NOOP); what is
recorded is the reply (or replies: a bare LF inside a command line makes
two command lines) to the last command.
Commands are written with Python escapes (\\n, \\x00, \\x7f), so the file
shows every control character that goes on the wire.

FILE lines are "SRC<TAB>CMDS<TAB>POSTFIX<TAB>POSTERN": the reply Postfix
3.7.11 gave (recorded with "record" against a real Postfix instance), and
the reply Postern must give: "=" when it is Postfix's. Only the first
reply of a case is compared when Postern's column is "=" (the reply to
what follows a bare LF differs in its code, 500 vs 502, and is not what
the case is about).
"""
import socket
import sys

MARK = b"NOOP"
MARK_REPLY = b"250 2.0.0 Ok"


def conversation(src, port, cmds):
    s = socket.socket()
    s.bind((src, 0))
    s.settimeout(10)
    s.connect(("127.0.0.1", port))
    f = s.makefile("rb")

    def reply():
        out = []
        while True:
            line = f.readline()
            if not line:
                out.append(b"<EOF>")
                return b"\n".join(out)
            out.append(line.rstrip(b"\r\n"))
            if len(line) < 4 or line[3:4] != b"-":
                return b"\n".join(out)

    reply()
    last = b""
    for c in cmds:
        # a marker after each command: everything before its reply
        # answers the command (one command line may have become two)
        s.sendall(c + b"\r\n" + MARK + b"\r\n")
        got = []
        while True:
            r = reply()
            if r.endswith(b"<EOF>"):
                got.append(r)
                break
            if r == MARK_REPLY:
                if got or not c.upper().startswith(b"NOOP"):
                    break
                # the case is a NOOP itself: this reply is its own
                got.append(r)
                if reply() != MARK_REPLY:
                    got.append(b"<marker lost>")
                break
            got.append(r)
        last = b" || ".join(got)
    s.sendall(b"QUIT\r\n")
    s.close()
    return last


def run(port, src, cmdline):
    cmds = [c.encode("latin1").decode("unicode_escape").encode("latin1")
            for c in cmdline.split(" ;; ")]
    r = conversation(src, port, [b"EHLO client.example.test"] + cmds)
    return r.decode("latin1").encode("unicode_escape").decode()


def main():
    mode, port = sys.argv[1], int(sys.argv[2])
    if mode == "record":
        for line in sys.stdin:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            src, cmds = line.split("\t")[:2]
            print("%s\t%s\t%s" % (src, cmds, run(port, src, cmds)))
        return 0
    bad = 0
    n = 0
    with open(sys.argv[3], encoding="latin1") as fh:
        for line in fh:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            src, cmds, postfix, postern = line.split("\t")
            want = postfix.split(" || ")[0] if postern == "=" else postern
            got = run(port, src, cmds)
            if postern == "=":
                got = got.split(" || ")[0]
            n += 1
            if got != want:
                bad += 1
                print("MISMATCH %s %s\n  want: %s\n  got:  %s"
                      % (src, cmds, want, got))
    print("%d cases, %d mismatches" % (n, bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
