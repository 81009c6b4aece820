#!/usr/bin/env python3
"""corpus_matrix - what "postern check" makes of each real configuration
in testdata/corpus, against the golden matrix in testdata/corpus_matrix.

For every entry, "postern check -c ENTRY --config-only --json" gives one
note per setting; the matrix keeps, per note, its status (honoured,
warning, error), where it is (main.cf or the master.cf service) and the
parameter ("nofile" for an error that only says a file the setting
names is missing from this copy of the corpus). The test fails when a matrix differs from its golden file, or
when a setting that the configuration makes (postconf -n for main.cf,
postconf -P for master.cf -o) has no note: no parameter may be silently
ignored.

usage: corpus_matrix.py POSTERN POSTCONF SRCDIR           compare
       corpus_matrix.py --update POSTERN POSTCONF SRCDIR  rewrite the goldens
"""
import difflib
import json
import os
import shutil
import subprocess
import sys
import tempfile


def check_json(postern, entry):
    """the JSON document, or None and the fatal message (postconf's own
    fatal errors, e.g. a master.cf with template placeholders)"""
    r = subprocess.run([postern, 'check', '-c', entry, '--config-only',
                        '--json'], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    if r.returncode not in (0, 1):
        raise SystemExit('%s: postern check exit %d: %s' %
                         (entry, r.returncode, r.stderr))
    if r.stdout == '':
        if r.returncode != 1 or 'fatal:' not in r.stderr:
            raise SystemExit('%s: no JSON, exit %d: %s' %
                             (entry, r.returncode, r.stderr))
        return None, r.stderr.splitlines()[0].replace(entry, 'ENTRY')
    doc = json.loads(r.stdout)
    want = 1 if doc['summary']['error'] else 0
    if r.returncode != want and 'fatal:' not in r.stderr:
        raise SystemExit('%s: exit %d with %d errors' %
                         (entry, r.returncode, doc['summary']['error']))
    return doc, None


# A file the configuration names (a table, /etc/mailname) that is not in
# this copy of the corpus: the setting is supported, its data is absent
# here. "nofile" keeps that apart from what Postern refuses.
NOFILE = ('No such file or directory', 'cannot open file')


def status(n):
    if n['status'] == 'error' and any(t in n.get('message', '')
                                      for t in NOFILE):
        return 'nofile'
    return n['status']


def matrix(doc):
    count = {'honoured': 0, 'warning': 0, 'error': 0, 'nofile': 0}
    body = []
    for n in doc['notes']:
        st = status(n)
        count[st] = count.get(st, 0) + 1
        body.append('%s\t%s\t%s' % (st, n['service'] or 'main.cf',
                                    n['parameter'] or '-'))
    head = ('# honoured %d, warning %d, error %d, nofile %d' %
            (count['honoured'], count['warning'], count['error'],
             count['nofile']))
    return '\n'.join([head] + body) + '\n'


def settings(postconf, entry):
    """(where, name) of every setting, as postconf lists them"""
    out = set()
    r = subprocess.run([postconf, '-c', entry, '-n'], stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL, text=True)
    with open(os.path.join(entry, 'main.cf'), errors='replace') as fp:
        in_file = {ln.split('=', 1)[0].strip() for ln in fp if '=' in ln}
    for line in r.stdout.splitlines():
        name = line.split(' =', 1)[0]
        # postconf -n shows -c DIR as config_directory
        if name == 'config_directory' and name not in in_file:
            continue
        out.add(('main.cf', name))
    r = subprocess.run([postconf, '-c', entry, '-P'], stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL, text=True)
    for line in r.stdout.splitlines():
        left = line.split(' =', 1)[0]
        svc, typ, name = left.split('/', 2)
        out.add(('%s/%s' % (svc, typ), name))
    return out


def main(argv):
    update = argv[1] == '--update'
    postern, postconf, src = argv[2:5] if update else argv[1:4]
    corpus = os.path.join(src, 'testdata', 'corpus')
    gold_dir = os.path.join(src, 'testdata', 'corpus_matrix')
    bad = 0
    tmp = tempfile.mkdtemp()
    for name in sorted(os.listdir(corpus)):
        entry = os.path.join(corpus, name)
        if not os.path.isdir(entry):
            continue
        if not os.path.isfile(os.path.join(entry, 'main.cf')):
            # master.cf only: with an empty main.cf, as the oracle has it
            entry = os.path.join(tmp, name)
            os.makedirs(entry)
            open(os.path.join(entry, 'main.cf'), 'w').close()
            shutil.copy(os.path.join(corpus, name, 'master.cf'), entry)
        doc, fatal = check_json(postern, entry)
        gold = os.path.join(gold_dir, name + '.txt')
        if doc is None:
            # refused as a whole (postconf's fatal): nothing is ignored
            got = '# fatal: %s\n' % fatal
            doc = {'summary': {'honoured': 0, 'warning': 0, 'error': 0}}
        else:
            got = matrix(doc)
            noted = {(n['service'] or 'main.cf', n['parameter'])
                     for n in doc['notes'] if n['parameter']}
            for where, param in sorted(settings(postconf, entry) - noted):
                print('%s: %s %s: set, but check says nothing about it' %
                      (name, where, param))
                bad = 1
        if update:
            os.makedirs(gold_dir, exist_ok=True)
            with open(gold, 'w') as fp:
                fp.write(got)
            want = got
        else:
            try:
                with open(gold) as fp:
                    want = fp.read()
            except FileNotFoundError:
                want = ''
        if got != want:
            print('%s: matrix differs from %s (regenerate: cmake --build '
                  'BUILD --target corpus_matrix_update)' % (name, gold))
            sys.stdout.writelines(difflib.unified_diff(
                want.splitlines(True), got.splitlines(True), gold, 'got', n=0))
            bad = 1
        print('%-28s %s' % (name, got.splitlines()[0].lstrip('# ')))
    shutil.rmtree(tmp)
    return bad


if __name__ == '__main__':
    sys.exit(main(sys.argv))
