#!/usr/bin/env python3
"""layers.py - lib/ is in layers (docs/ARCHITECTURE.md, "Layers"): a module
may use modules of its own layer and of the layers below, never one above,
and never another module's internal header (*_int.h). Checked on both
paths a dependency can take: #include lines and CMake link lines.
cmd/postdrop and cmd/postqueue (set-gid) may not use the tools layer.

Link lines are honest: each library of lib/ names on its
target_link_libraries every module its files include (a header of its own
module counts with what it includes), and PUBLIC every module its public
header includes; what only its .c files use is PRIVATE.

Usage: tests/style/layers.py SOURCE_DIR    (exit 1 on any violation)
"""
import os
import re
import sys


# (user module, used module): reason. Every entry is a debt.
ALLOW = {
}


def layers_of(src):
    """the layer order, from the top-level CMakeLists.txt (one source)"""
    text = open(os.path.join(src, 'CMakeLists.txt')).read()
    m = re.search(r'set\(POSTERN_LAYERS ([^)]*)\)', text)
    if not m:
        sys.exit('layers: no POSTERN_LAYERS in CMakeLists.txt')
    return m.group(1).split()


def main(src):
    order = layers_of(src)
    rank = {name: i for i, name in enumerate(order)}
    module = {}                 # module name -> layer
    target = {}                 # CMake target -> module
    for layer in order:
        ldir = os.path.join(src, 'lib', layer)
        for mod in sorted(os.listdir(ldir)):
            mdir = os.path.join(ldir, mod)
            if not os.path.isdir(mdir):
                continue
            module[mod] = layer
            cm = os.path.join(mdir, 'CMakeLists.txt')
            if os.path.exists(cm):
                for t in re.findall(r'add_library\((\w+)', open(cm).read()):
                    target[t] = mod
    for d in sorted(os.listdir(os.path.join(src, 'lib'))):
        if d not in rank and os.path.isdir(os.path.join(src, 'lib', d)):
            print(f'layers: lib/{d} is not a layer named in POSTERN_LAYERS')
            return 1
    bad = []
    inc = re.compile(r'^\s*#\s*include\s+"(\w+)/([\w.]+)"', re.M)
    link = re.compile(r'target_link_libraries\(\s*(\w+)([^)]*)\)', re.S)

    def judge(where, user_mod, user_rank, used_mod, header=None):
        if used_mod == user_mod:
            return
        if header and header.endswith('_int.h'):
            bad.append(f'{where}: includes {used_mod}/{header}, '
                       f'internal to {used_mod}')
        if rank[module[used_mod]] > user_rank and \
                (user_mod, used_mod) not in ALLOW:
            bad.append(f'{where}: {user_mod or where} '
                       f'({order[user_rank]}) uses {used_mod} '
                       f'({module[used_mod]}), a layer above')

    users = []                  # (dir, module name or None, rank)
    for mod, layer in module.items():
        users.append((os.path.join('lib', layer, mod), mod, rank[layer]))
    users.append(('cmd/postdrop', None, rank['daemons']))
    users.append(('cmd/postqueue', None, rank['daemons']))
    users.append(('cmd/postern', None, len(order)))
    for rel, mod, r in users:
        d = os.path.join(src, rel)
        for f in sorted(os.listdir(d)):
            p = os.path.join(d, f)
            if f.endswith(('.c', '.h')):
                text = re.sub(r'/\*.*?\*/', '', open(p).read(), flags=re.S)
                for m in inc.finditer(text):
                    if m.group(1) in module:
                        judge(f'{rel}/{f}', mod, r, m.group(1), m.group(2))
            elif f == 'CMakeLists.txt':
                text = re.sub(r'#.*', '', open(p).read())
                for m in link.finditer(text):
                    # a module's tests may link what they exercise
                    if m.group(1).endswith('_test'):
                        continue
                    for word in m.group(2).split():
                        if word in target:
                            judge(f'{rel}/{f}', mod, r, target[word])
    bad += undeclared(src, module, target)
    for b in bad:
        print('layers:', b)
    if bad:
        return 1
    print(f'layers: ok ({len(module)} modules in {len(order)} layers)')
    return 0


def undeclared(src, module, target):
    """library targets that include a module they do not link, or link
    PRIVATE a module their public header includes"""
    inc = re.compile(r'^\s*#\s*include\s+"(\w+)/([\w.]+)"', re.M)
    lib = re.compile(r'add_library\((\w+)\s+STATIC([^)]*)\)')
    link = re.compile(r'target_link_libraries\(\s*(\w+)([^)]*)\)', re.S)
    bad = []

    def included(mdir, mod, files):
        seen, out, todo = set(), set(), list(files)
        while todo:
            f = todo.pop()
            p = os.path.join(mdir, f)
            if f in seen or not os.path.exists(p):
                continue
            seen.add(f)
            text = re.sub(r'/\*.*?\*/', '', open(p).read(), flags=re.S)
            for m in inc.finditer(text):
                if m.group(1) == mod:
                    todo.append(m.group(2))
                elif m.group(1) in module:
                    out.add(m.group(1))
        return out

    for mod, layer in module.items():
        rel = os.path.join('lib', layer, mod)
        mdir = os.path.join(src, rel)
        cm = os.path.join(mdir, 'CMakeLists.txt')
        if not os.path.exists(cm):
            continue
        text = re.sub(r'#.*', '', open(cm).read())
        links = {}              # target -> {used module: PUBLIC/PRIVATE}
        for m in link.finditer(text):
            kind = 'PUBLIC'
            for word in m.group(2).split():
                if word in ('PUBLIC', 'PRIVATE', 'INTERFACE'):
                    kind = word
                elif word in target:
                    links.setdefault(m.group(1), {})[target[word]] = kind
        for t, body in lib.findall(text):
            files = [w for w in body.split() if w.endswith('.c')]
            pub = os.path.join(mdir, t + '.h')
            if not os.path.exists(pub):
                pub = os.path.join(mdir, mod + '.h')
            have = links.get(t, {})
            for used in sorted(included(mdir, mod, files) - {mod}):
                if used not in have:
                    bad.append(f'{rel}/CMakeLists.txt: {t} includes {used} '
                               f'but does not link it')
            if os.path.exists(pub):
                for used in sorted(included(mdir, mod,
                                            [os.path.basename(pub)]) - {mod}):
                    if have.get(used) == 'PRIVATE':
                        bad.append(f'{rel}/CMakeLists.txt: {t} links '
                                   f'{used} PRIVATE, but its public header '
                                   f'includes it')
    return bad


if __name__ == '__main__':
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else '.'))
