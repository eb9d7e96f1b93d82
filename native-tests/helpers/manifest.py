#!/usr/bin/env python3
"""Print a JSON manifest of a directory tree: what an overlay merged view and an applied layer must agree on.

Usage: manifest.py DIR [--keep-private]

Names are bytes from start to end (os.fsencode, bytes walk). A path is shown by `display()`: valid UTF-8
as is, a backslash as two backslashes, every byte that is not part of valid UTF-8 as \\xHH (injective).
Output (sorted keys):
  {"entries": {PATH: {type, mode, uid, gid, [size, sha256] | [target, target_hex] | [rdev_major, rdev_minor],
                      xattrs: {NAME: HEX}}},
   "hardlinks": [[PATH, ...], ...]}
- The root directory itself is never listed (layers carry no root entry; its metadata comes from mkdir).
- type: dir, file, symlink, chardev, blockdev, fifo, socket. mode = st_mode & 0o7777. No times, no nlink.
- xattrs are read without following symlinks; overlay-private ones (trusted.overlay.*, user.overlay.*,
  user.fuseoverlayfs.*) are left out unless --keep-private.
- hardlinks: groups of non-directory paths sharing (st_dev, st_ino) with st_nlink > 1 and at least two
  names inside the tree, each sorted, the list sorted.
"""
import errno
import hashlib
import json
import os
import stat
import sys

PRIVATE_XATTR_PREFIXES = (b"trusted.overlay.", b"user.overlay.", b"user.fuseoverlayfs.")


def display(name: bytes) -> str:
    text = name.decode("utf-8", "surrogateescape")
    out = []
    for ch in text:
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:
            out.append("\\x%02x" % (code - 0xDC00))
        elif ch == "\\":
            out.append("\\\\")
        else:
            out.append(ch)
    return "".join(out)


def file_type(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "dir"
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISLNK(mode):
        return "symlink"
    if stat.S_ISCHR(mode):
        return "chardev"
    if stat.S_ISBLK(mode):
        return "blockdev"
    if stat.S_ISFIFO(mode):
        return "fifo"
    if stat.S_ISSOCK(mode):
        return "socket"
    raise ValueError("unknown file type %o" % mode)


def read_xattrs(path: bytes, keep_private: bool) -> dict:
    result = {}
    try:
        names = os.listxattr(path, follow_symlinks=False)
    except OSError as err:
        # Some filesystems refuse xattrs on symlinks or special files altogether.
        if err.errno in (errno.ENOTSUP, errno.EOPNOTSUPP):
            return result
        raise
    for name in names:
        raw = os.fsencode(name)
        if not keep_private and raw.startswith(PRIVATE_XATTR_PREFIXES):
            continue
        try:
            value = os.getxattr(path, name, follow_symlinks=False)
        except OSError as err:
            if err.errno == errno.ENODATA:  # removed between list and get
                continue
            raise
        result[display(raw)] = value.hex()
    return result


def sha256_of(path: bytes) -> str:
    digest = hashlib.sha256()
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    try:
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            digest.update(chunk)
    finally:
        os.close(fd)
    return digest.hexdigest()


def manifest(root: bytes, keep_private: bool) -> dict:
    entries = {}
    inodes = {}
    # An explicit stack instead of os.walk: os.walk swallows errors and follows nothing we need.
    stack = [b""]
    while stack:
        rel_dir = stack.pop()
        abs_dir = os.path.join(root, rel_dir) if rel_dir else root
        for name in sorted(os.listdir(abs_dir)):
            rel = os.path.join(rel_dir, name) if rel_dir else name
            path = os.path.join(root, rel)
            st = os.lstat(path)
            kind = file_type(st.st_mode)
            entry = {
                "type": kind,
                "mode": stat.S_IMODE(st.st_mode),
                "uid": st.st_uid,
                "gid": st.st_gid,
                "xattrs": read_xattrs(path, keep_private),
            }
            if kind == "file":
                entry["size"] = st.st_size
                entry["sha256"] = sha256_of(path)
            elif kind == "symlink":
                target = os.readlink(path)
                entry["target"] = display(target)
                entry["target_hex"] = target.hex()
            elif kind in ("chardev", "blockdev"):
                entry["rdev_major"] = os.major(st.st_rdev)
                entry["rdev_minor"] = os.minor(st.st_rdev)
            key = display(rel)
            if key in entries:
                raise RuntimeError("display() collision on %r" % rel)
            entries[key] = entry
            if kind == "dir":
                stack.append(rel)
            elif st.st_nlink > 1:
                inodes.setdefault((st.st_dev, st.st_ino), []).append(key)
    groups = sorted(sorted(paths) for paths in inodes.values() if len(paths) > 1)
    return {"entries": entries, "hardlinks": groups}


def main(argv: list) -> int:
    args = [a for a in argv[1:] if not a.startswith("--")]
    flags = {a for a in argv[1:] if a.startswith("--")}
    unknown = flags - {"--keep-private"}
    if len(args) != 1 or unknown:
        sys.stderr.write("usage: manifest.py DIR [--keep-private]\n")
        return 2
    root = os.fsencode(args[0])
    if not stat.S_ISDIR(os.lstat(root).st_mode):
        sys.stderr.write("manifest.py: %s is not a directory\n" % args[0])
        return 1
    json.dump(manifest(root, "--keep-private" in flags), sys.stdout, sort_keys=True, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
