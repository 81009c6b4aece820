#!/usr/bin/env python3
"""maps_netserver.py MODE ADDR PORTFILE - a small socketmap (Sendmail
netstrings) or tcp_table(5) server for tests/maps_peer_net.sh.

MODE socketmap or tcp; ADDR a unix socket path (socketmap) or 127.0.0.1
(a free port is taken; its number is written to PORTFILE). Table: foo ->
"bar baz", "a b" -> "with%percent"; key "temp" fails temporarily; the
socketmap map name must be "mymap" (else PERM); tcp: key "hang" gets no
answer. Serves until killed.
"""
import os
import socket
import sys
import threading
import urllib.parse

TABLE = {"foo": "bar baz", "a b": "with%percent"}


def netstring(data):
    return b"%d:%s," % (len(data), data)


def read_netstring(f):
    n = b""
    while True:
        c = f.read(1)
        if not c:
            return None
        if c == b":":
            break
        n += c
    data = f.read(int(n))
    if f.read(1) != b",":
        return None
    return data


def socketmap(conn):
    f = conn.makefile("rb")
    while True:
        req = read_netstring(f)
        if req is None:
            return
        name, _, key = req.decode().partition(" ")
        if name != "mymap":
            rep = "PERM unknown map " + name
        elif key == "temp":
            rep = "TEMP try again later"
        elif key in TABLE:
            rep = "OK " + TABLE[key]
        else:
            rep = "NOTFOUND "
        conn.sendall(netstring(rep.encode()))


def tcp(conn):
    f = conn.makefile("rb")
    for line in f:
        line = line.decode().rstrip("\r\n")
        if not line.startswith("get "):
            conn.sendall(b"400 bad request\n")
            continue
        key = urllib.parse.unquote(line[4:])
        if key == "hang":
            continue  # never answers: the client's timeout
        if key == "temp":
            rep = "400 try again later"
        elif key in TABLE:
            rep = "200 " + urllib.parse.quote(TABLE[key], safe="")
        else:
            rep = "500 not found"
        conn.sendall((rep + "\n").encode())


def main():
    mode, addr, portfile = sys.argv[1:4]
    if addr.startswith("/"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(addr)
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((addr, 0))
    s.listen(16)
    tmp = portfile + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % (0 if addr.startswith("/") else s.getsockname()[1]))
    os.rename(tmp, portfile)
    serve = socketmap if mode == "socketmap" else tcp
    while True:
        conn, _ = s.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


main()
