#!/usr/bin/env python3
"""testmilter.py PORT MODE LOGFILE - a small milter (the server side of
the Sendmail milter protocol 6) for tests/mta_milter.sh. It asks for
every stage, logs each command and macro it gets to LOGFILE, and at the
end of the message does what MODE says:
  edit        every modification action (headers, recipients, sender,
              body), then continue
  reject      SMFIR_REPLYCODE "554 5.7.1 Milter says no"
  tempfail    SMFIR_TEMPFAIL
  discard     SMFIR_DISCARD
  quarantine  SMFIR_QUARANTINE, then continue
  hang        no answer (the MTA's milter_content_timeout)
  die         one header added, then the connection is closed
  STAGE-ACT   at SMTP stage STAGE (connect helo mail rcpt data) answer ACT:
              reject (SMFIR_REJECT), tempfail (SMFIR_TEMPFAIL), code
              (SMFIR_REPLYCODE "554 5.7.1 no at STAGE") or tempcode
              ("451 4.7.1 later at STAGE") or shutdown (SMFIR_SHUTDOWN);
              at rcpt only for recipients
              with "bad" in them"""
import socket
import struct
import sys
import threading
import time

port, mode, logpath = int(sys.argv[1]), sys.argv[2], sys.argv[3]
lock = threading.Lock()


def log(line):
    with lock, open(logpath, "a") as f:
        f.write(line + "\n")


def recv_n(c, n):
    b = b""
    while len(b) < n:
        d = c.recv(n - len(b))
        if not d:
            raise EOFError
        b += d
    return b


def send(c, cmd, data=b""):
    c.sendall(struct.pack(">I", len(data) + 1) + cmd + data)


def eom(c):
    if mode == "edit":
        send(c, b"h", b"X-Milter\0added by testmilter\0")
        send(c, b"i", struct.pack(">I", 0) + b"X-First\0inserted at the top\0")
        send(c, b"m", struct.pack(">I", 1) + b"Subject\0changed by milter\0")
        send(c, b"m", struct.pack(">I", 1) + b"X-Drop-Me\0\0")
        send(c, b"+", b"<bob@local.test>\0")
        send(c, b"e", b"<changed@example.test>\0")
        send(c, b"b", b"replaced body\r\nsecond line\r\n")
        send(c, b"c")
    elif mode == "reject":
        send(c, b"y", b"554 5.7.1 Milter says no\0")
    elif mode == "tempfail":
        send(c, b"t")
    elif mode == "discard":
        send(c, b"d")
    elif mode == "quarantine":
        send(c, b"q", b"test quarantine\0")
        send(c, b"c")
    elif mode == "hang":
        time.sleep(3600)
    elif mode == "die":
        send(c, b"h", b"X-Half\0half done\0")
        c.close()
        raise EOFError
    else:
        send(c, b"c")


STAGES = {b"C": "connect", b"H": "helo", b"M": "mail", b"R": "rcpt", b"T": "data"}


def stage_reply(c, cmd, data):
    stage, _, act = mode.partition("-")
    if STAGES.get(cmd) != stage or (stage == "rcpt" and b"bad" not in data):
        send(c, b"c")
    elif act == "reject":
        send(c, b"r")
    elif act == "tempfail":
        send(c, b"t")
    elif act == "code":
        send(c, b"y", b"554 5.7.1 no at " + stage.encode() + b"\0")
    elif act == "shutdown":
        send(c, b"4")
    elif act == "tempcode":
        send(c, b"y", b"451 4.7.1 later at " + stage.encode() + b"\0")
    else:
        send(c, b"c")


def serve(c):
    try:
        while True:
            n = struct.unpack(">I", recv_n(c, 4))[0]
            pkt = recv_n(c, n)
            cmd, data = pkt[:1], pkt[1:]
            if cmd == b"O":
                ver, act, proto = struct.unpack(">III", data[:12])
                log("OPTNEG version=%d actions=%#x protocol=%#x" % (ver, act, proto))
                send(c, b"O", struct.pack(">III", 6, act & 0x1ff, 0))
            elif cmd == b"D":
                parts = data[1:].split(b"\0")
                for i in range(0, len(parts) - 1, 2):
                    log("MACRO %s %s=%s" % (data[:1].decode(), parts[i].decode(),
                                            parts[i + 1].decode()))
            elif cmd in (b"Q", b"K"):
                log("QUIT")
                return
            elif cmd == b"A":
                log("ABORT")
            elif cmd == b"E":
                log("EOM")
                eom(c)
            else:
                log("CMD %s %r" % (cmd.decode(), data))
                stage_reply(c, cmd, data)
    except (EOFError, OSError):
        pass
    finally:
        c.close()


s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port))
s.listen(8)
while True:
    conn, _ = s.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
