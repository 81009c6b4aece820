#!/usr/bin/env python3
"""client.py - the mail host test's clients (tests/mta_mailhost.sh).

  client.py submit PORT MODE USER PASS FROM TO[,TO] SUBJECT
      MODE starttls|wrapper; log in with AUTH PLAIN (LOGIN when USER ends
      in +login, stripped); prints "ok" or the failing reply "CODE text"
  client.py plain PORT FROM TO      port 25, no TLS, no AUTH; prints the
      RCPT reply "CODE text"
  client.py authfirst PORT          EHLO and AUTH before STARTTLS; prints
      whether EHLO offered AUTH and the AUTH reply
  client.py imap PORT USER PASS SUBJECT  wait (10 s) for a message with
      that subject in INBOX over IMAP STARTTLS; prints its From and To
"""
import imaplib
import smtplib
import ssl
import sys
import time


def ctx():
    c = ssl.create_default_context()
    c.check_hostname = False
    c.verify_mode = ssl.CERT_NONE
    return c


def message(frm, to, subject):
    return (f"From: <{frm}>\r\nTo: <{to}>\r\nSubject: {subject}\r\n"
            f"Message-ID: <{subject}@client.example.test>\r\n\r\n"
            f"body of {subject}\r\n")


def submit(port, mode, user, pw, frm, to, subject):
    rcpts = to.split(',')
    mech = 'PLAIN'
    if user.endswith('+login'):
        user, mech = user[:-6], 'LOGIN'
    if mode == 'wrapper':
        s = smtplib.SMTP_SSL('127.0.0.1', int(port), context=ctx(), timeout=20)
        s.ehlo('client.example.test')
    else:
        s = smtplib.SMTP('127.0.0.1', int(port), timeout=20)
        s.ehlo('client.example.test')
        s.starttls(context=ctx())
        s.ehlo('client.example.test')
    try:
        s.user, s.password = user, pw
        auth = s.auth_plain if mech == 'PLAIN' else s.auth_login
        s.auth(mech, auth)
        s.sendmail(frm, rcpts, message(frm, rcpts[0], subject))
        print('ok')
    except smtplib.SMTPResponseException as e:
        print(e.smtp_code, e.smtp_error.decode())
    except smtplib.SMTPRecipientsRefused as e:
        code, text = list(e.recipients.values())[0]
        print(code, text.decode())
    except smtplib.SMTPSenderRefused as e:
        print(e.smtp_code, e.smtp_error.decode())
    finally:
        try:
            s.quit()
        except Exception:
            pass


def plain(port, frm, to):
    s = smtplib.SMTP('127.0.0.1', int(port), timeout=20)
    s.ehlo('client.example.test')
    s.mail(frm)
    code, text = s.rcpt(to)
    print(code, text.decode())
    s.quit()


def authfirst(port):
    s = smtplib.SMTP('127.0.0.1', int(port), timeout=20)
    s.ehlo('client.example.test')
    print('offered' if s.has_extn('auth') else 'not-offered')
    code, text = s.docmd('AUTH', 'PLAIN AGFsaWNlQGV4YW1wbGUuY29tAHNlY3JldA==')
    print(code, text.decode())
    s.quit()


def imap(port, user, pw, subject):
    deadline = time.time() + 10
    while True:
        m = imaplib.IMAP4('127.0.0.1', int(port))
        m.starttls(ssl_context=ctx())
        m.login(user, pw)
        m.select('INBOX')
        typ, data = m.search(None, 'SUBJECT', f'"{subject}"')
        if data[0]:
            num = data[0].split()[0]
            typ, msg = m.fetch(num, '(BODY[HEADER.FIELDS (FROM TO)] BODY[TEXT])')
            head = msg[0][1].decode().strip().replace('\r\n', ' ')
            body = msg[1][1].decode().strip()
            print(head, '|', body)
            m.logout()
            return
        m.logout()
        if time.time() > deadline:
            print('missing')
            return
        time.sleep(0.2)


if __name__ == '__main__':
    cmd, args = sys.argv[1], sys.argv[2:]
    {'submit': submit, 'plain': plain, 'authfirst': authfirst,
     'imap': imap}[cmd](*args)
