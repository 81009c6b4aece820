#!/usr/bin/env python3
"""mailhost_client.py PORT SESSIONS PER_CONN COUNT USERS SIZE

Authenticated submission load for bench/mailhost-bench.sh: SESSIONS
threads, each opening connections that log in (AUTH PLAIN as u0@...,
password "pw") and send PER_CONN messages of about SIZE bytes to the
hosted users u0..u(USERS-1)@example.test, until COUNT messages in all
are accepted. Prints "accepted N failed M seconds S".
"""
import smtplib
import sys
import threading
import time

port, sessions, per_conn, count, users, size = map(int, sys.argv[1:7])
lock = threading.Lock()
state = {'next': 0, 'ok': 0, 'fail': 0}
body = ('x' * 76 + '\r\n') * max(1, size // 78)


def take():
    with lock:
        if state['next'] >= count:
            return None
        state['next'] += 1
        return state['next'] - 1


def worker(w):
    while True:
        n = take()
        if n is None:
            return
        try:
            s = smtplib.SMTP('127.0.0.1', port, timeout=60)
            s.ehlo('client.example.test')
            s.login(f'u{w % users}@example.test', 'pw')
            for k in range(per_conn):
                if k:
                    n = take()
                    if n is None:
                        break
                rcpt = f'u{n % users}@example.test'
                msg = (f'From: <u{w % users}@example.test>\r\nTo: <{rcpt}>\r\n'
                       f'Subject: bench {n}\r\n\r\n{body}')
                s.sendmail(f'u{w % users}@example.test', [rcpt], msg)
                with lock:
                    state['ok'] += 1
            s.quit()
        except Exception as e:  # counted, and the run is marked incomplete
            print('error:', e, file=sys.stderr)
            with lock:
                state['fail'] += 1


t0 = time.time()
threads = [threading.Thread(target=worker, args=(i,)) for i in range(sessions)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(f"accepted {state['ok']} failed {state['fail']} seconds {time.time() - t0:.3f}")
