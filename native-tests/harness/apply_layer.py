#!/usr/bin/env python3
"""Applies an OCI layer onto a directory, independently of overlaydiff's code.

Whiteouts are processed first, against the base only (no member of the layer exists yet):
`D/.wh..wh..opq` empties D, `D/.wh.NAME` removes NAME, and a member whose type conflicts with
what the base has at its path replaces it. Then GNU tar extracts the rest with ownership,
permissions and xattrs. A char-device whiteout, an absolute name or a `..` component fails.
"""
import os, shutil, subprocess, sys, tarfile

WH = b'.wh.'
OPQ = b'.wh..wh..opq'


def remove(path):
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    elif os.path.lexists(path):
        os.unlink(path)


def main(base, layer):
    base = os.fsencode(base)
    with tarfile.open(layer, encoding='utf-8', errors='surrogateescape') as tf:
        members = list(tf)
    for m in members:
        name = m.name.encode('utf-8', 'surrogateescape').rstrip(b'/')
        parts = name.split(b'/')
        if name.startswith(b'/') or b'..' in parts:
            sys.exit(f'unsafe member name {name!r}')
        if m.ischr() and m.devmajor == 0 and m.devminor == 0:
            sys.exit(f'char-device whiteout leaked into the layer: {name!r}')
        parent, leaf = os.path.join(base, *parts[:-1]), parts[-1]
        if leaf == OPQ:
            if os.path.isdir(parent):
                for child in os.listdir(parent):
                    remove(os.path.join(parent, child))
        elif leaf.startswith(WH):
            remove(os.path.join(parent, leaf[len(WH):]))
        else:
            target = os.path.join(base, *parts)
            exists_as_dir = os.path.isdir(target) and not os.path.islink(target)
            if os.path.lexists(target) and (m.isdir() != exists_as_dir or m.islnk()):
                remove(target)
    subprocess.run(['tar', '-xpf', layer, '-C', base, '--xattrs', "--xattrs-include=*", '--numeric-owner',
                    '--same-owner', '--exclude=.wh.*'], check=True)
    # GNU tar leaves the set-group-ID bit a new directory inherits from a set-group-ID parent (one
    # the layer re-modes after creating the child) on the child; appliers such as containerd set
    # each directory to its member's exact mode, so do that here.
    for m in members:
        target = os.path.join(base, *m.name.encode('utf-8', 'surrogateescape').rstrip(b'/').split(b'/'))
        if m.isdir() and os.path.isdir(target) and not os.path.islink(target):
            os.chmod(target, m.mode & 0o7777)


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])
