#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the overlay into a patch series against the base tarball.

  series.py make --top T --tarball X --out O --dirs '...' --files '...'
	Imports the tarball as the base commit of the git repository O/git
	(once per tarball), commits the steps of T/series/steps on it and
	writes O/patches/ with git format-patch and the cover letter.

  series.py verify --out O --tree SRC
	Applies O/patches/ with git am on the base and checks that the result
	is the series' last commit and that every file the series touches
	reads the same in SRC, the tree the overlay build uses.

  series.py maintainers FRAGMENT KERNEL_MAINTAINERS
	Puts our MAINTAINERS entry in its sorted place in the kernel's file,
	replacing an older copy of it.

Each step of the steps file names the overlay files it adds, the parts
of patches/ it applies and the Kconfig symbols it introduces.  Files
that collect what every step adds (the Makefile's object lists, the
Kconfig entries, the tables of ioctl and object ops, our MAINTAINERS F:
lines and CONFIG_ blocks) are written at each step with the parts that
name what does not exist yet left out; at the last step each is the
overlay's own file, byte for byte, or the series is refused.
"""

import argparse
import fnmatch
import os
import re
import shutil
import subprocess
import sys

OUR_KCONFIG = 'drivers/iommu/ioasid/Kconfig'


def run(cmd, cwd=None, env=None, capture=False, inp=None):
    res = subprocess.run(cmd, cwd=cwd, env=env, input=inp, text=True,
                         stdout=subprocess.PIPE if capture else None,
                         check=False)
    if res.returncode:
        sys.exit(f'series: {" ".join(cmd)} failed ({res.returncode})')
    return res.stdout if capture else None


def git(repo, *args, **kw):
    return run(['git', '-C', repo] + list(args), **kw)


# ---------------------------------------------------------------- steps

class Step:
    def __init__(self):
        self.subject = None
        self.patches = []       # (patch file, [paths] or [] for all)
        self.globs = []
        self.kconfig = []
        self.body = ''
        self.files = []


def parse_steps(path):
    steps = []
    for block in re.split(r'^%%\s*$', open(path).read(), flags=re.M):
        lines = [l for l in block.split('\n') if not l.startswith('#')]
        while lines and not lines[0].strip():
            lines.pop(0)
        if not lines:
            continue
        step = Step()
        while lines and lines[0].strip():
            key, _, val = lines.pop(0).partition(':')
            val = val.split()
            if key == 'Subject':
                step.subject = ' '.join(val)
            elif key == 'Patch':
                step.patches.append((val[0], val[1:]))
            elif key == 'Files':
                step.globs += val
            elif key == 'Kconfig':
                step.kconfig += val
            else:
                sys.exit(f'series: {path}: unknown key {key!r}')
        step.body = '\n'.join(lines).strip()
        steps.append(step)
    return steps


def overlay_files(top, dirs, files):
    out = list(files)
    for d in dirs:
        for root, _, names in os.walk(os.path.join(top, d)):
            for n in names:
                out.append(os.path.relpath(os.path.join(root, n), top))
    return sorted(out)


def glob_regex(glob):
    """"*" stays within a directory, "**" crosses them."""
    parts = re.split(r'(\*\*|\*|\?)', glob)
    tr = {'**': '.*', '*': '[^/]*', '?': '[^/]'}
    return re.compile(''.join(tr.get(p, re.escape(p)) for p in parts) + '$')


def assign_files(steps, files):
    """Give each overlay file to the one step whose globs match it."""
    owner = {}
    for i, step in enumerate(steps):
        globs = [glob_regex(g) for g in step.globs]
        for f in files:
            if any(g.match(f) for g in globs):
                if f in owner:
                    sys.exit(f'series: {f} is in two steps')
                owner[f] = i
                step.files.append(f)
    missing = [f for f in files if f not in owner]
    if missing:
        sys.exit('series: in no step: ' + ' '.join(missing))


# ------------------------------------------------------- joined files

def defined_symbols(top, c_files):
    """Functions and variables with external linkage that @c_files define."""
    if not c_files:
        return set()
    out = run(['ctags', '-x', '--c-kinds=fv', '--extras=-F'] + c_files,
              cwd=top, capture=True)
    return {l.split()[0] for l in out.splitlines() if l.strip()}


CONFIG_IF = re.compile(r'#\s*if(?:def\s+|\s+IS_ENABLED\(|\s+defined\()'
                       r'CONFIG_(\w+)\)?\s*$')


def drop_config_blocks(lines, missing_syms):
    """Drop #if blocks of Kconfig symbols that do not exist yet."""
    out, stack = [], []        # stack: [dropping?] per open #if
    for line in lines:
        s = line.strip()
        m = CONFIG_IF.match(s)
        if s.startswith('#if'):
            drop = bool(m and m.group(1) in missing_syms)
            stack.append(drop)
            if drop:
                continue
        elif s.startswith('#else') and stack and stack[-1]:
            stack[-1] = 'else'
            continue
        elif s.startswith('#endif') and stack:
            if stack.pop():
                continue
        if any(d is True for d in stack):
            continue
        out.append(line)
    return out


def depth(text):
    return (text.count('(') - text.count(')'),
            text.count('{') - text.count('}'))


def drop_table_entries(lines, absent):
    """Drop initializer entries that name what only later steps define.

    Only file-scope tables are looked at: a line ending in "= {" at column
    0 opens one and a line starting with "}" closes it.  An entry runs
    until its parentheses and braces balance on a line ending in ",";
    comments before it go with it.
    """
    out, i = [], 0
    while i < len(lines):
        line = lines[i]
        out.append(line)
        i += 1
        if not re.search(r'=\s*\{\s*$', line) or line[:1] in (' ', '\t'):
            continue
        entry = []
        while i < len(lines) and not lines[i].startswith('}'):
            entry.append(lines[i])
            i += 1
            text = '\n'.join(entry)
            last = entry[-1].strip()
            if depth(text) != (0, 0) or not (last.endswith(',') or
                                              last.startswith('#')):
                continue
            names = set(re.findall(r'\b[A-Za-z_]\w*\b', text))
            if not names & absent:
                out += entry
            entry = []
        out += entry
    return out


def join_makefile(text, present, mkdir):
    """Object lists name only objects whose sources exist.

    A composite object (x.o built from x-y) exists when one of its parts
    does.
    """
    logicals = re.split(r'(?<!\\)\n', text.rstrip('\n'))
    assign = re.compile(r'^([\w$()-]+)\s*(:=|\+=)\s*(.*)$', re.S)
    parts = {}
    for logical in logicals:
        m = assign.match(logical)
        if m:
            comp = re.match(r'^(\w+)-(?:y|objs|\$\(CONFIG_\w+\))$', m.group(1))
            if comp and comp.group(1) != 'obj':
                parts.setdefault(comp.group(1), []).extend(
                    m.group(3).replace('\\\n', ' ').split())

    def exists(obj):
        name = obj[:-2]
        if f'{mkdir}/{name}.c' in present:
            return True
        return any(exists(p) for p in parts.get(name, []))

    out = []
    for logical in logicals:
        m = assign.match(logical)
        if not m or '.o' not in m.group(3):
            out.append(logical)
            continue
        objs = m.group(3).replace('\\\n', ' ').split()
        keep = [o for o in objs if exists(o)]
        if keep == objs:
            out.append(logical)
        elif keep:
            out.append(wrap_makefile(m.group(1), m.group(2), keep))
    return '\n'.join(out) + '\n'


def wrap_makefile(lhs, op, objs):
    line, lines = f'{lhs} {op}', []
    for o in objs:
        if len(line) + 1 + len(o) > 76:
            lines.append(line + ' \\')
            line = '\t   '
        line += ' ' + o
    return '\n'.join(lines + [line])


def join_kconfig(text, syms):
    """The entries of the symbols introduced so far."""
    chunks = re.split(r'\n(?=config \w+\n)', text)
    keep = [c for c in chunks
            if not c.startswith('config ') or c.split()[1] in syms]
    return '\n'.join(keep).rstrip('\n') + '\n'


def join_maintainers(text, tree):
    out = []
    for line in text.split('\n'):
        if line.startswith('F:\t'):
            if not os.path.exists(os.path.join(tree, line[3:].strip())):
                continue
        out.append(line)
    return '\n'.join(out)


# ----------------------------------------------------------- MAINTAINERS

def entry_title(block):
    return block.split('\n', 1)[0]


def insert_maintainers(entry, kernel_text):
    """Our entry, sorted among the kernel's, replacing an older copy."""
    title = entry_title(entry.strip('\n'))
    lines = kernel_text.split('\n')
    # Remove an older copy: from its title to the blank line after it.
    if title in lines:
        start = lines.index(title)
        end = start
        while end < len(lines) and lines[end].strip():
            end += 1
        del lines[start:end + 1]
    titles = [i for i in range(1, len(lines) - 1)
              if not lines[i - 1].strip() and lines[i].strip()
              and re.match(r'^[A-Z]:\t', lines[i + 1])]
    # The file is sorted only by and large: start from the title that
    # shares the longest prefix with ours and settle among its neighbours.
    def shared(i):
        return len(os.path.commonprefix([lines[i], title]))
    k = max(range(len(titles)), key=lambda j: (shared(titles[j]), -j))
    while k < len(titles) and lines[titles[k]] < title:
        k += 1
    while k > 0 and lines[titles[k - 1]] > title:
        k -= 1
    before = titles[k] if k < len(titles) else len(lines)
    lines[before:before] = entry.strip('\n').split('\n') + ['']
    return '\n'.join(lines)


# ----------------------------------------------------------------- make

def git_env(top):
    """Author, committer and date of the series: those of the overlay's
    last commit, so that the same overlay gives the same series anywhere."""
    name, email, date = git(top, 'log', '-1', '--format=%an%n%ae%n%cI',
                            capture=True).strip().split('\n')
    env = dict(os.environ, GIT_AUTHOR_NAME=name, GIT_AUTHOR_EMAIL=email,
               GIT_COMMITTER_NAME=name, GIT_COMMITTER_EMAIL=email,
               GIT_AUTHOR_DATE=date, GIT_COMMITTER_DATE=date)
    return env, f'{name} <{email}>'


def base_version(tree):
    mk = open(os.path.join(tree, 'Makefile')).read()
    v = [re.search(rf'^{k} = (\S+)', mk, re.M).group(1)
         for k in ('VERSION', 'PATCHLEVEL', 'SUBLEVEL')]
    return '.'.join(v)


def base_cache():
    """Where imported bases outlive the build directory, as ccache's do."""
    if os.environ.get('IOASID_SERIES_CACHE'):
        return os.environ['IOASID_SERIES_CACHE']
    home = os.environ.get('XDG_CACHE_HOME') or \
        os.path.join(os.path.expanduser('~'), '.cache')
    return os.path.join(home, 'ioasid-series')


def has_tag(repo, tag):
    return os.path.isdir(repo) and subprocess.run(
        ['git', '-C', repo, 'rev-parse', '-q', '--verify',
         f'refs/tags/{tag}'], stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL).returncode == 0


def cache_base(repo, tag):
    """Keeps a bare copy of an imported base; a failure only costs time."""
    cached = os.path.join(base_cache(), f'{tag}.git')
    tmp = f'{cached}.{os.getpid()}'
    try:
        os.makedirs(base_cache(), exist_ok=True)
        subprocess.run(['git', 'clone', '-q', '--bare', repo, tmp],
                       check=True)
        os.rename(tmp, cached)
    except (OSError, subprocess.CalledProcessError):
        shutil.rmtree(tmp, ignore_errors=True)


def import_base(repo, tarball, env):
    """The tarball as one commit, tagged by its checksum; kept for reuse.

    A fresh build directory borrows the objects of a base imported before
    (git clone --shared from the cache), which spares it committing the
    whole tree again."""
    digest = run(['sha256sum', tarball], capture=True).split()[0][:16]
    tag = f'base-{digest}'
    if has_tag(os.path.join(repo, '.git'), tag):
        return tag
    shutil.rmtree(repo, ignore_errors=True)
    cached = os.path.join(base_cache(), f'{tag}.git')
    if has_tag(cached, tag):
        print(f'  SERIES  base from {cached}')
        run(['git', 'clone', '-q', '--shared', '--no-checkout', cached, repo])
        git(repo, 'config', 'core.autocrlf', 'false')
        return tag
    os.makedirs(repo)
    print(f'  SERIES  importing {os.path.basename(tarball)}')
    git(repo, 'init', '-q')
    git(repo, 'config', 'core.autocrlf', 'false')
    run(['tar', '-xf', tarball, '-C', repo, '--strip-components=1'])
    git(repo, 'add', '-A', '-f')
    version = base_version(repo)
    deb = subprocess.run(['dpkg-query', '-W', '-f=${Version}',
                          'linux-source-6.12'], capture_output=True,
                         text=True).stdout
    git(repo, 'commit', '-q', '--no-verify', '-m',
        f'Linux {version}\n\nThe source tarball of Debian\'s linux-source-6.12 '
        f'{deb}.', env=env)
    git(repo, 'tag', tag)
    cache_base(repo, tag)
    return tag


def patch_message(path):
    text = open(path).read()
    head = text.split('\n---\n', 1)[0]
    subject = re.search(r'^Subject: (?:\[PATCH\] )?(.*)$', head, re.M).group(1)
    body = head.split('\n\n', 1)[1] if '\n\n' in head else ''
    return subject, body.strip()


def write_joined(top, repo, present, kconfig, absent):
    """Write every joined file that exists so far for this step."""
    missing_syms = set(all_kconfig(top)) - kconfig
    for f in present:
        src = open(os.path.join(top, f)).read()
        if f.endswith('/Makefile') and f.startswith('drivers/'):
            new = join_makefile(src, present, os.path.dirname(f))
        elif f == OUR_KCONFIG:
            new = join_kconfig(src, kconfig)
        elif f.endswith(('.c', '.h')) and f.startswith('drivers/'):
            lines = drop_config_blocks(src.split('\n'), missing_syms)
            new = '\n'.join(drop_table_entries(lines, absent))
        else:
            continue
        # Always written: an earlier step may have left a shorter copy.
        with open(os.path.join(repo, f), 'w') as out:
            out.write(new)


def all_kconfig(top):
    return re.findall(r'^config (\w+)', open(os.path.join(top, OUR_KCONFIG)).read(),
                      re.M)


def apply_patch(repo, path, only):
    """Apply @path, or its files @only; return the paths it wrote."""
    cmd = ['git', '-C', repo, 'apply', '--whitespace=nowarn']
    cmd += [f'--include={p}' for p in only]
    res = subprocess.run(cmd + [path])
    if res.returncode:
        sys.exit(f'series: {os.path.basename(path)} {" ".join(only)} '
                 'does not apply')
    paths = re.findall(r'^\+\+\+ b/(\S+)', open(path).read(), re.M)
    return [p for p in paths
            if not only or any(fnmatch.fnmatch(p, o) for o in only)]


def make(args):
    top, out = args.top, args.out
    steps = parse_steps(os.path.join(top, 'series/steps'))
    files = overlay_files(top, args.dirs.split(), args.files.split())
    assign_files(steps, files)
    used = {p for step in steps for p, _ in step.patches}
    for p in sorted(os.listdir(os.path.join(top, 'patches'))):
        if p not in used:
            sys.exit(f'series: patches/{p} is in no step')

    env, ident = git_env(top)
    repo = os.path.join(out, 'git')
    base = import_base(repo, args.tarball, env)
    git(repo, 'checkout', '-q', '-f', '-B', 'series', base)
    git(repo, 'clean', '-q', '-fdx')

    c_files = [f for f in files if f.endswith('.c') and f.startswith('drivers/')]
    symbols = {f: defined_symbols(top, [f]) for f in c_files}
    maint_entry = open(os.path.join(top, 'MAINTAINERS')).read()
    maint_base = git(repo, 'show', f'{base}:MAINTAINERS', capture=True)
    present, kconfig = set(), set()
    for n, step in enumerate(steps, 1):
        subject, body = step.subject, step.body
        touched = {'MAINTAINERS'}
        for p, only in step.patches:
            touched |= set(apply_patch(repo, os.path.join(top, 'patches', p),
                                       only))
            if not subject:
                subject, body = patch_message(os.path.join(top, 'patches', p))
        for f in step.files:
            os.makedirs(os.path.dirname(os.path.join(repo, f)), exist_ok=True)
            shutil.copy2(os.path.join(top, f), os.path.join(repo, f))
        present |= set(step.files)
        kconfig |= set(step.kconfig)
        absent = set().union(*(symbols[f] for f in c_files if f not in present))
        absent -= set().union(*(symbols[f] for f in c_files if f in present))
        write_joined(top, repo, sorted(present), kconfig, absent)
        if present:
            entry = join_maintainers(maint_entry, repo)
            with open(os.path.join(repo, 'MAINTAINERS'), 'w') as fh:
                fh.write(insert_maintainers(entry, maint_base))
        # Only what this step wrote: a walk of the whole tree per step is
        # most of the series' time.  -f: the tarball's .gitignore ignores
        # everything new at the top.
        git(repo, 'add', '-f', '--', *sorted(touched | present))
        msg = f'{subject}\n\n{body}\n\nSigned-off-by: {ident}\n'
        git(repo, 'commit', '-q', '--no-verify', '-F', '-', inp=msg, env=env)
        print(f'  SERIES  {n:2} {subject}')

    for f in files:
        if open(os.path.join(top, f), 'rb').read() != \
           open(os.path.join(repo, f), 'rb').read():
            sys.exit(f'series: {f} differs from the overlay at the last step')
    left = git(repo, 'status', '--porcelain', '--ignored', capture=True)
    if left.strip():
        sys.exit('series: written but in no patch: ' + left.split('\n')[0])

    patches = os.path.join(out, 'patches')
    shutil.rmtree(patches, ignore_errors=True)
    git(repo, 'format-patch', '-q', '--cover-letter', '--no-signature',
        '--subject-prefix=PATCH', '-o', patches, f'{base}..series', env=env)
    fill_cover(top, repo, base, patches)
    git(repo, 'tag', '-f', 'series-base', base)
    print(f'  SERIES  {len(steps)} patches in {patches}')


def fill_cover(top, repo, base, patches):
    cover = os.path.join(patches, '0000-cover-letter.patch')
    text = open(cover).read()
    letter = open(os.path.join(top, 'series/cover-letter')).read()
    letter = '\n'.join(l for l in letter.split('\n') if not l.startswith('#'))
    subject, blurb = letter.strip().split('\n', 1)
    blurb = blurb.strip().replace('@BASE@', base_version(repo))
    text = text.replace('*** SUBJECT HERE ***', subject)
    text = text.replace('*** BLURB HERE ***', blurb)
    open(cover, 'w').write(text)


# --------------------------------------------------------------- verify

def verify(args):
    repo = os.path.join(args.out, 'git')
    patches = sorted(p for p in os.listdir(os.path.join(args.out, 'patches'))
                     if not p.startswith('0000-'))
    git(repo, 'checkout', '-q', '-f', '-B', 'series-am', 'series-base')
    env = dict(os.environ, GIT_COMMITTER_NAME='series verify',
               GIT_COMMITTER_EMAIL='series@verify.invalid')
    git(repo, 'am', '-q', '--keep-cr',
        *[os.path.join(args.out, 'patches', p) for p in patches], env=env)
    made = git(repo, 'rev-parse', 'series^{tree}', capture=True)
    applied = git(repo, 'rev-parse', 'HEAD^{tree}', capture=True)
    if made != applied:
        sys.exit('series: git am of the patches gives another tree')
    changed = git(repo, 'diff', '--name-only', 'series-base', 'HEAD',
                  capture=True).split()
    differ = [f for f in changed
              if read(os.path.join(repo, f)) != read(os.path.join(args.tree, f))]
    if differ:
        sys.exit('series: differs from the overlay build: ' + ' '.join(differ))
    print(f'  SERIES  {len(patches)} patches apply with git am; '
          f'the {len(changed)} files they touch equal the overlay build')


def read(path):
    try:
        return open(path, 'rb').read()
    except FileNotFoundError:
        return None


def maintainers(args):
    entry = open(args.fragment).read()
    text = open(args.kernel).read()
    new = insert_maintainers(entry, text)
    if new != text:
        open(args.kernel, 'w').write(new)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest='cmd', required=True)
    m = sub.add_parser('make')
    m.add_argument('--top', required=True)
    m.add_argument('--tarball', required=True)
    m.add_argument('--out', required=True)
    m.add_argument('--dirs', required=True)
    m.add_argument('--files', required=True)
    v = sub.add_parser('verify')
    v.add_argument('--out', required=True)
    v.add_argument('--tree', required=True)
    mt = sub.add_parser('maintainers')
    mt.add_argument('fragment')
    mt.add_argument('kernel')
    args = ap.parse_args()
    {'make': make, 'verify': verify, 'maintainers': maintainers}[args.cmd](args)


if __name__ == '__main__':
    main()
