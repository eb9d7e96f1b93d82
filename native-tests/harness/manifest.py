#!/usr/bin/env python3
"""Prints a JSON manifest of a tree for round-trip comparison, independent of overlaydiff's code.

Names are handled as bytes and shown with non-UTF-8 bytes as \\xNN. Per entry: type, mode, uid,
gid, size and sha256 (files), symlink target, device numbers, and xattrs (hex values) without the
overlay-private ones. Hardlink groups are listed separately. mtimes are left out: extracting a
layer legitimately changes directory mtimes.
"""
import hashlib, json, os, stat, sys

PRIVATE = (b'trusted.overlay.', b'user.overlay.', b'user.fuseoverlayfs.')


def show(b):
    return b.decode('utf-8', 'backslashreplace')


def describe(path, st):
    mode = st.st_mode
    kind = ('file' if stat.S_ISREG(mode) else 'dir' if stat.S_ISDIR(mode) else 'symlink' if stat.S_ISLNK(mode)
            else 'char' if stat.S_ISCHR(mode) else 'block' if stat.S_ISBLK(mode) else 'fifo' if stat.S_ISFIFO(mode)
            else 'socket')
    entry = {'type': kind, 'mode': oct(stat.S_IMODE(mode)), 'uid': st.st_uid, 'gid': st.st_gid}
    if kind == 'file':
        h = hashlib.sha256()
        with open(path, 'rb') as f:
            for chunk in iter(lambda: f.read(1 << 20), b''):
                h.update(chunk)
        entry['size'] = st.st_size
        entry['sha256'] = h.hexdigest()
    elif kind == 'symlink':
        entry['target'] = show(os.readlink(path))
    elif kind in ('char', 'block'):
        entry['rdev'] = [os.major(st.st_rdev), os.minor(st.st_rdev)]
    xattrs = {}
    for name in os.listxattr(path, follow_symlinks=False):
        raw = os.fsencode(name)
        if raw.startswith(PRIVATE):
            continue
        xattrs[name] = os.getxattr(path, name, follow_symlinks=False).hex()
    if xattrs:
        entry['xattrs'] = dict(sorted(xattrs.items()))
    return entry


def manifest(root):
    entries, inodes = {}, {}
    def fail(err):
        raise err  # an unreadable directory must fail the comparison, never shrink the manifest
    for dirpath, dirnames, filenames in os.walk(root, onerror=fail):
        dirnames.sort()
        for name in sorted(dirnames) + sorted(filenames):
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            rel = show(os.path.relpath(path, root))
            entries[rel] = describe(path, st)
            if not stat.S_ISDIR(st.st_mode) and st.st_nlink > 1:
                inodes.setdefault((st.st_dev, st.st_ino), []).append(rel)
    links = sorted(sorted(names) for names in inodes.values() if len(names) > 1)
    return {'entries': dict(sorted(entries.items())), 'hardlinks': links}


if __name__ == '__main__':
    print(json.dumps(manifest(os.fsencode(sys.argv[1])), indent=1))
