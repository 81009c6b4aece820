#!/usr/bin/python3
"""sasl_dialogue.py FILE PORT=N... - SMTP AUTH dialogues, one per line of
FILE, each on a new connection; prints one line per dialogue: "NAME |
reply | reply ...", the last line of each reply (queue IDs replaced by
QID).

A line is "NAME SERVICE CMD ; CMD ; ...". SERVICE names a port given on
the command line (submission=12345); "ssl:" before it connects with TLS
at once (smtpd_tls_wrappermode). "STARTTLS" wraps the connection after a
220 reply. In a CMD, b64{text} is replaced by the base64 of text with
"\\0" standing for a NUL byte, and long{N} by N letters A. An EHLO reply shows as "250 AUTH ..."
(its AUTH keyword lines, or "250 no-AUTH"). "DATA" sends a small
message after a 354. QUIT is added at the end. Lines starting with #
are comments."""
import base64
import re
import socket
import ssl
import sys


def read_reply(f):
    lines = []
    while True:
        line = f.readline()
        if not line:
            lines.append("(connection closed)")
            return lines
        text = line.decode("utf-8", "replace").rstrip("\r\n")
        lines.append(text)
        if len(text) < 4 or text[3:4] != "-":
            return lines


def expand(cmd):
    def b64(m):
        raw = m.group(1).replace("\\0", "\0").encode()
        return base64.b64encode(raw).decode()
    cmd = re.sub(r"long\{(\d+)\}", lambda m: "A" * int(m.group(1)), cmd)
    return re.sub(r"b64\{([^}]*)\}", b64, cmd)


def tls_ctx():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def show(cmd, lines):
    last = lines[-1]
    if cmd.upper().startswith("EHLO") and last[:1] == "2":
        auth = [x[4:] for x in lines if x[4:].upper().startswith("AUTH")]
        return "250 " + (" ; ".join(auth) if auth else "no-AUTH")
    return re.sub(r"queued as [0-9A-Za-z]+", "queued as QID", last)


def run(port, wrapped, cmds):
    s = socket.create_connection(("127.0.0.1", port), 30)
    if wrapped:
        s = tls_ctx().wrap_socket(s)
    f = s.makefile("rb")
    out = [show("", read_reply(f))]
    for cmd in cmds + ["QUIT"]:
        s.sendall(expand(cmd).encode() + b"\r\n")
        lines = read_reply(f)
        out.append(show(cmd, lines))
        if lines[-1] == "(connection closed)":
            break
        if cmd.upper() == "STARTTLS" and lines[-1].startswith("220"):
            s = tls_ctx().wrap_socket(s)
            f = s.makefile("rb")
        if cmd.upper() == "DATA" and lines[-1].startswith("354"):
            s.sendall(b"Subject: test\r\n\r\nhello\r\n.\r\n")
            out.append(show("", read_reply(f)))
    s.close()
    return out


def main():
    ports = dict(a.split("=", 1) for a in sys.argv[2:])
    for line in open(sys.argv[1]):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, svc, rest = line.split(None, 2)
        wrapped = svc.startswith("ssl:")
        port = int(ports[svc.split(":")[-1]])
        cmds = [c.strip() for c in rest.split(" ; ")]
        print(name + " | " + " | ".join(run(port, wrapped, cmds)), flush=True)


if __name__ == "__main__":
    main()
