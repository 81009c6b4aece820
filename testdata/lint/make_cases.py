#!/usr/bin/env python3
# make_cases.py - write testdata/lint/cases/<ID>-{bad,good}/ from the table
# below: one failing and one passing configuration per rule. Each case has
# main.cf and master.cf (the base files plus the case's lines) and, when the
# rule needs them, "args" (extra postern lint arguments). The expected
# output (want.out, want.rc) is made by the build target lint_update
# (tests/lint.sh --update) and reviewed by hand; tests/lint.sh also checks that every bad case
# reports its rule and every good case does not.
import os, shutil

BASE_MAIN = """compatibility_level = 3.7
myhostname = mail.example.com
mynetworks = 127.0.0.0/8 [::1]/128
smtpd_forbid_bare_newline = normalize
smtpd_tls_protocols = >=TLSv1.2
smtpd_tls_mandatory_protocols = >=TLSv1.2
smtp_tls_protocols = >=TLSv1.2
smtp_tls_mandatory_protocols = >=TLSv1.2
"""
BASE_MASTER = "smtp      inet  n       -       n       -       -       smtpd\n"
ROOT = "--root ../root"

# ID: (bad main.cf lines, good main.cf lines, bad master lines, good master lines, args, replace_base)
CASES = {
 "PL001": ("message_size_limit = 10MB\nmaximal_queue_lifetime = 5D\n",
           "message_size_limit = 10485760\nmaximal_queue_lifetime = 5d\n", "", "", "", False),
 "PL002": ("alias_maps = texthsh:/etc/postfix/aliases\n", "alias_maps = texthash:/etc/postfix/aliases\n", "", "", ROOT, False),
 "PL003": ("alias_maps = texthash:/etc/postfix/no-such-file\n", "alias_maps = texthash:/etc/postfix/aliases\n", "", "", ROOT, False),
 "PL004": ("transport_maps = hash:/etc/postfix/transport-noindex\n", "transport_maps = hash:/etc/postfix/transport\n", "", "", ROOT, False),
 "PL005": ("smtpd_recipient_restrictions = permit_mynetworks, reject_unath_destination\n",
           "smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination\n", "", "", "", False),
 "PL006": ("smtpd_client_restrictions = check_client_access, reject_rbl_client\n",
           "smtpd_client_restrictions = check_client_access inline:{ 192.0.2.1 = REJECT }, reject_rbl_client zen.example.org\n", "", "", "", False),
 "PL007": ("smtpd_restriction_classes = strict\nsmtpd_recipient_restrictions = strict, reject_unauth_destination\n",
           "smtpd_restriction_classes = strict\nstrict = reject_unknown_sender_domain\nsmtpd_recipient_restrictions = strict, reject_unauth_destination\n", "", "", "", False),
 "PL008": ("mynetworks = 127.0.0.0/8 10.0.0.300/24 [::1]/129\n", "mynetworks = 127.0.0.0/8 [::1]/128\n", "", "", "", False),
 "PL009": ("relayhost = [smtp.example.net:587\n", "relayhost = [smtp.example.net]:587\n", "", "", "", False),
 "PL010": ("inet_interfaces = 127.0.0.1/8\n", "inet_interfaces = 127.0.0.1\n", "", "", "", False),
 "PL101": ("smtpd_tls_securty_level = may\n", "smtpd_tls_security_level = may\n", "", "", "", False),
 "PL102": ("smtpd_use_tls = yes\nvirtual_maps = texthash:/etc/postfix/aliases\n",
           "smtpd_tls_security_level = may\nvirtual_alias_maps = texthash:/etc/postfix/aliases\n", "", "", ROOT, False),
 "PL103": ("myhostname = mail.example.com\nsmtputf8_enable = no\n", "myhostname = mail.example.com\n", "", "", "--postfix-version 2.11", True),
 "PL104": ("smtpd_banner = $myhostname ESMTP $mail_nme\n", "smtpd_banner = $myhostname ESMTP $mail_name\n", "", "", "", False),
 "PL105": ("banner_extra = (test)\n", "banner_extra = (test)\nsmtpd_banner = $myhostname ESMTP $banner_extra\n", "", "", "", False),
 "PL106": ("relayhost = [a.example.net]\nrelayhost = [b.example.net]\n", "relayhost = [b.example.net]\n", "", "", "", False),
 "PL107": ("relayhost = [smtp.example.net] # our ISP\n", "# our ISP\nrelayhost = [smtp.example.net]\n", "", "", "", False),
 "PL108": ("mydomain = {{ DOMAIN }}\nmyorigin = @MYORIGIN@\n", "mydomain = example.com\nmyorigin = $mydomain\n", "", "", "", False),
 "PL109": ("process_id = 1234\n", "", "", "", "", False),
 "PL110": ("relayhost [smtp.example.net]\n", "relayhost = [smtp.example.net]\n", "", "", "", False),
 "PL111": ("  orphan = 1\n", "", "", "", "", True),
 "PL201": ("", "", "pickup    unix  n       -       n       60x     1       pickup\n", "pickup    unix  n       -       n       60      1       pickup\n", "", False),
 "PL202": ("", "", "cleanup   unix  n       -       n       -       0       cleanupd\n", "cleanup   unix  n       -       n       -       0       cleanup\n", "", False),
 "PL203": ("", "", "smtp      inet  n       -       n       -       1       postscreen\n", "smtpd     pass  -       -       n       -       -       smtpd\n", "", False),
 "PL204": ("", "", "submission inet n       -       n       -       -       smtpd\n  -o smtp_helo_name=mx.example.com\n",
           "submission inet n       -       n       -       -       smtpd\n  -o smtpd_banner=mx.example.com\n", "", False),
 "PL205": ("", "", "submission inet n       -       n       -       -       smtpd\n  -o smtpd_banner=$submission_banner\n",
           "submission inet n       -       n       -       -       smtpd\n  -o smtpd_banner=$myhostname\n", "", False),
 "PL206": ("", "", "pickup    unix  n       -       y       60      1       pickup\n", "pickup    unix  n       -       n       60      1       pickup\n", "", False),
 "PL207": ("", "", "relay     unix  n       -       n       -       -       smtp\n", "relay     unix  -       -       n       -       -       smtp\n", "", False),
 "PL208": ("", "", "submission inet n       -       n       -       -       smtpd\n  -o smtpd_tls_securty_level=encrypt\n",
           "submission inet n       -       n       -       -       smtpd\n  -o smtpd_tls_security_level=encrypt\n", "", False),
 "PL301": ("mynetworks = 0.0.0.0/0\nsmtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination\n",
           "mynetworks = 127.0.0.0/8\nsmtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination\n", "", "", "", False),
 "PL302": ("mynetworks = 127.0.0.0/8 172.17.0.0/16\n", "mynetworks = 127.0.0.0/8\n", "", "", "", False),
 "PL303": ("compatibility_level = 3.7\nmynetworks_style = subnet\nsmtpd_forbid_bare_newline = normalize\n",
           "compatibility_level = 3.7\nmynetworks_style = host\nsmtpd_forbid_bare_newline = normalize\n", "", "", "", True),
 "PL304": ("compatibility_level = 0\nmynetworks = 127.0.0.0/8\nsmtpd_forbid_bare_newline = normalize\nsmtpd_recipient_restrictions = permit_mynetworks\n",
           "compatibility_level = 0\nmynetworks = 127.0.0.0/8\nsmtpd_forbid_bare_newline = normalize\nsmtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination\n", "", "", "", True),
 "PL305": ("smtpd_forbid_bare_newline = no\n", "smtpd_forbid_bare_newline = normalize\n", "", "", "", False),
 "PL306": ("smtpd_tls_protocols = !SSLv2, !SSLv3\n", "smtpd_tls_protocols = >=TLSv1.2\n", "", "", "", False),
 "PL307": ("smtpd_tls_ciphers = export\n", "smtpd_tls_ciphers = high\n", "", "", "", False),
 "PL308": ("smtpd_sasl_auth_enable = yes\n", "smtpd_sasl_auth_enable = yes\nsmtpd_tls_auth_only = yes\n", "", "", "", False),
 "PL309": ("", "", "submission inet n       -       n       -       -       smtpd\n  -o smtpd_sasl_auth_enable=yes\n",
           "submission inet n       -       n       -       -       smtpd\n  -o smtpd_sasl_auth_enable=yes\n  -o smtpd_tls_security_level=encrypt\n", "", False),
}

here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, "cases")
shutil.rmtree(out, ignore_errors=True)
for rid, (bm, gm, bx, gx, args, replace) in CASES.items():
    for kind, m, x in (("bad", bm, bx), ("good", gm, gx)):
        d = os.path.join(out, "%s-%s" % (rid, kind))
        os.makedirs(d)
        main = m if replace else BASE_MAIN + m
        with open(os.path.join(d, "main.cf"), "w") as f:
            f.write("# %s %s case\n" % (rid, kind) + main)
        with open(os.path.join(d, "master.cf"), "w") as f:
            f.write(BASE_MASTER + x)
        if args:
            with open(os.path.join(d, "args"), "w") as f:
                f.write(args + "\n")
# the clean base: no findings at all
d = os.path.join(out, "clean")
os.makedirs(d)
open(os.path.join(d, "main.cf"), "w").write(BASE_MAIN)
open(os.path.join(d, "master.cf"), "w").write(BASE_MASTER)
