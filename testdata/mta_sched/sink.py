#!/usr/bin/env python3
"""sink.py PORT LOG [--delay S] [--mode smtp|close] - a small SMTP sink on
127.0.0.1:PORT for the scheduler tests.

Every event is appended to LOG as "<unix time> <event> <value>":
  conn <open connections>     a client connected
  mail <transactions now>     MAIL FROM accepted (a transaction starts)
  done <transactions now>     end of DATA answered (after --delay seconds)
So the number of transactions in progress at any time (the destination
concurrency that qmgr allows) can be read back. --mode close accepts each
connection and closes it at once (counts connection attempts)."""
import socket
import sys
import threading
import time

port, logname = int(sys.argv[1]), sys.argv[2]
delay, mode = 0.0, "smtp"
args = sys.argv[3:]
while args:
    if args[0] == "--delay":
        delay = float(args[1])
        args = args[2:]
    elif args[0] == "--mode":
        mode = args[1]
        args = args[2:]
    else:
        sys.exit("usage: sink.py PORT LOG [--delay S] [--mode smtp|close]")

lock = threading.Lock()
state = {"conns": 0, "txn": 0}
log = open(logname, "a", buffering=1)


def event(name, key, step):
    with lock:
        state[key] += step
        log.write("%.3f %s %d\n" % (time.time(), name, state[key]))


def session(c):
    f = c.makefile("rb")
    intxn = False

    def say(s):
        c.sendall(s.encode() + b"\r\n")

    try:
        say("220 sink.example.test ESMTP")
        while True:
            line = f.readline()
            if not line:
                break
            cmd = line.decode("latin-1").strip().upper()
            if cmd.startswith("EHLO"):
                say("250-sink.example.test\r\n250-PIPELINING\r\n250 8BITMIME")
            elif cmd.startswith("HELO"):
                say("250 sink.example.test")
            elif cmd.startswith("MAIL"):
                intxn = True
                event("mail", "txn", 1)
                say("250 2.1.0 Ok")
            elif cmd.startswith("RCPT"):
                say("250 2.1.5 Ok")
            elif cmd == "DATA":
                say("354 End data with <CR><LF>.<CR><LF>")
                while True:
                    d = f.readline()
                    if not d or d in (b".\r\n", b".\n"):
                        break
                time.sleep(delay)
                intxn = False
                event("done", "txn", -1)
                say("250 2.0.0 Ok: queued")
            elif cmd == "RSET":
                if intxn:
                    intxn = False
                    event("done", "txn", -1)
                say("250 2.0.0 Ok")
            elif cmd == "QUIT":
                say("221 2.0.0 Bye")
                break
            else:
                say("250 2.0.0 Ok")
    except OSError:
        pass
    finally:
        if intxn:
            event("done", "txn", -1)
        event("gone", "conns", -1)
        c.close()


s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port))
s.listen(256)
while True:
    c, _ = s.accept()
    event("conn", "conns", 1)
    if mode == "close":
        c.close()
        event("gone", "conns", -1)
        continue
    threading.Thread(target=session, args=(c,), daemon=True).start()
