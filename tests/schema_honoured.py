#!/usr/bin/env python3
"""schema_honoured - keep schemas/postern.yaml and the daemons' code in
agreement, both ways.

A parameter is "read" by a daemon when its name appears as a string
literal in that daemon's sources (the accessors take literal names at
their call sites); names that the code builds at run time are listed in
DYNAMIC below, next to the code that builds them. The check fails when
a parameter read in code is not marked honoured by a daemon that runs
that code, or when postern.yaml says a daemon honours a parameter that
no code of that daemon reads.

usage: schema_honoured.py SRCDIR            check (exit 1 on disagreement)
       schema_honoured.py --suggest SRCDIR  print what the code reads
"""
import collections
import glob
import os
import re
import sys

import yaml

# Which daemons run the code of a source file: "lib/DIR" or "lib/DIR/FILE".
# "all": code every daemon runs (the skeleton, tables, the defaults that
# the configuration engine computes for every daemon).
OWNERS = {
    'lib/daemons/smtpd': ['smtpd'],
    # the smtp client is also the lmtp agent (LMTP mode, as Postfix)
    'lib/daemons/smtp': ['smtp', 'lmtp'],
    'lib/daemons/cleanup': ['cleanup'],
    'lib/daemons/qmgr': ['qmgr'],
    'lib/daemons/qmgr/qmgr_tool.c': ['showq', 'postqueue'],
    'lib/daemons/local': ['local'],
    'lib/daemons/pipe': ['pipe'],
    'lib/daemons/pipe/pipe_spawn.c': ['spawn'],
    'lib/daemons/virtual': ['virtual'],
    'lib/daemons/bounce': ['bounce'],
    'lib/daemons/pickup': ['pickup'],
    'lib/tools/cli/cli_sendmail.c': ['sendmail'],
    'lib/daemons/pickup/postdrop.c': ['postdrop'],
    'lib/daemons/pickup/postqueue.c': ['postqueue'],
    'lib/daemons/pickup/pickup_priv.c': ['postdrop', 'postqueue'],
    'lib/daemons/proxymap': ['proxymap'],
    'lib/daemons/postscreen': ['postscreen'],
    'lib/daemons/master': ['master'],
    # the command-line layer: the commands that run mail-system code
    'lib/tools/cli/cli_master.c': ['master'],
    'lib/tools/cli/cli_queue.c': ['showq', 'postqueue'],
    'lib/tools/cli/cli_postmap.c': ['postmap', 'postalias'],
    # the checks of "postern check" read settings to judge them, not to
    # do what they ask: no daemon runs them
    'lib/daemons/master/master_check.c': None,
    'lib/daemons/master/master_check_values.c': None,
    'lib/daemons/master/master_classify.c': None,
    'lib/daemons/master/master_report.c': None,
    'lib/daemons/smtpd/smtpd_check_lint.c': None,
    'lib/services/rewrite': ['trivial-rewrite'],
    'lib/services/server': ['all'],
    'lib/services/server/server_tls.c': ['smtpd', 'smtp', 'lmtp'],
    'lib/services/maps': ['all'],
    'lib/services/queue': ['all'],
    'lib/services/deliver': ['all'],
    'lib/base/maillog': ['all'],
    'lib/config/pcf/pcf_host.c': ['all'],
    'lib/config/mac/mac.c': ['all'],
}

# Names built at run time: file -> names it reads that way.
DYNAMIC = {
    # qmgr reads "<transport>_destination_rate_delay" through the typed
    # accessors, which fall back to the family's default parameter
    'lib/daemons/qmgr/qmgr.c': ['default_destination_rate_delay'],
    # pipe reads "<service>_time_limit", whose default is
    # command_time_limit
    'lib/daemons/pipe/pipe.c': ['command_time_limit'],
    'lib/daemons/pipe/pipe_spawn.c': ['command_time_limit'],
    # the defaults that depend on it ("${{$compatibility_level} <level
    # {2} ? ...}") are evaluated by mac.c's <level operators for every
    # daemon
    'lib/config/mac/mac.c': ['compatibility_level'],
    # server_tls.c param(): "<prefix>_tls_<name>" for prefix
    # smtpd/smtp/lmtp, and "tls_<grade>_cipherlist"
    'lib/services/server/server_tls.c': [
        p + '_tls_' + n for p in ('smtpd', 'smtp', 'lmtp')
        for n in ('protocols', 'mandatory_protocols', 'ciphers',
                  'mandatory_ciphers', 'exclude_ciphers',
                  'mandatory_exclude_ciphers')
    ] + ['tls_%s_cipherlist' % g
         for g in ('high', 'medium', 'low', 'export', 'null')],
}


def owners(path):
    rel = path
    if rel in OWNERS:
        return OWNERS[rel]
    return OWNERS.get(os.path.dirname(rel))


consulted = {}


def load_schema(src):
    params, families, honoured, fam_honoured = set(), set(), {}, {}
    global consulted
    for f in sorted(glob.glob(os.path.join(src, 'schemas', '*.yaml'))):
        with open(f) as fp:
            d = yaml.safe_load(fp) or {}
        for p in d.get('params') or []:
            params.add(p['name'])
        for fa in d.get('families') or []:
            families.add(fa['suffix'])
        pst = d.get('postern') or {}
        for h in pst.get('honoured') or []:
            honoured[h['name']] = h['daemons']
        for h in pst.get('families') or []:
            fam_honoured[h['suffix']] = h['daemons']
        for h in pst.get('consulted') or []:
            consulted[h['name']] = h['daemons']
    return params, families, honoured, fam_honoured


def scan(src, params, families):
    """(name -> {file}) of what the daemons' code reads"""
    lit = re.compile(r'"([A-Za-z0-9_]+)"')
    reads = collections.defaultdict(set)
    for path in sorted(glob.glob(os.path.join(src, 'lib', '*', '*', '*.c'))):
        rel = os.path.relpath(path, src)
        if rel.endswith('_test.c') or owners(rel) is None:
            continue
        with open(path) as fp:
            text = re.sub(r'/\*.*?\*/', '', fp.read(), flags=re.S)
        for m in lit.finditer(text):
            n = m.group(1)
            if n in params or n in families:
                reads[n].add(rel)
        for n in DYNAMIC.get(rel, []):
            reads[n].add(rel)
    return reads


def main(argv):
    suggest = len(argv) > 1 and argv[1] == '--suggest'
    src = argv[2] if suggest else argv[1]
    params, families, honoured, fam_honoured = load_schema(src)
    reads = scan(src, params, families)
    if suggest:
        for n in sorted(reads):
            ds = sorted({d for f in reads[n] for d in owners(f)})
            if 'all' in ds:
                ds = ['all']
            print('%s: %s  # %s' % (n, ds, ' '.join(sorted(reads[n]))))
        return 0
    bad = 0
    claimed = dict(honoured)
    claimed.update(fam_honoured)
    for n, ds in consulted.items():
        if n not in params:
            print('schemas/postern.yaml: consulted %s is no parameter' % n)
            bad = 1
        if n in honoured:
            print('schemas/postern.yaml: %s is both honoured and consulted'
                  % n)
            bad = 1
    # reads that honour nothing count as reads, not as claims
    reads_claimed = dict(claimed)
    reads_claimed.update(consulted)
    for n, files in sorted(reads.items()):
        ds = reads_claimed.get(n)
        for f in sorted(files):
            own = owners(f)
            if ds is None:
                print('%s: reads %s, which postern.yaml does not mark '
                      'honoured' % (f, n))
                bad = 1
                break
            if 'all' not in own and 'all' not in ds and \
                    not set(own) & set(ds):
                print('%s: reads %s for %s, but postern.yaml says only %s '
                      'honour it' % (f, n, '/'.join(own), ', '.join(ds)))
                bad = 1
    for n, ds in sorted(claimed.items()):
        files = reads.get(n, set())
        for d in ds:
            if not any(d in owners(f) or
                       ('all' in owners(f) and d == 'all') for f in files):
                print('schemas/postern.yaml: %s is marked honoured by %s, '
                      'but no code of %s reads it' % (n, d, d))
                bad = 1
    return bad


if __name__ == '__main__':
    sys.exit(main(sys.argv))
