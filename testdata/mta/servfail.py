import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
while True:
    q, a = s.recvfrom(512)
    # same id and question, QR RD RA, rcode SERVFAIL (2)
    r = q[:2] + bytes([0x81, 0x82]) + q[4:6] + b"\0\0\0\0\0\0" + q[12:]
    s.sendto(r, a)
