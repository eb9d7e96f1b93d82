// Metadata calls for Node on (directory fd, name) or an fd's own inode ("" name): owner, mode,
// times and xattrs, never following a symlink at the name; errors carry the errno name in `.code`.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>
#include "rooted-at.h"

// fchmodat2(2) (Linux 6.6): the only chmod that refuses to follow a symlink by itself.
#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif

// chownAt(dirfd, name, uid, gid): the entry itself, a symlink included; "" is the directory.
napi_value chown_at(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  int32_t dirfd;
  uint32_t uid, gid;
  if (!get_args(env, info, 4, argv) || !get_int(env, argv[0], &dirfd)) return NULL;
  if (napi_get_value_uint32(env, argv[2], &uid) != napi_ok || napi_get_value_uint32(env, argv[3], &gid) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "uid and gid must be integers");
    return NULL;
  }
  char *name = get_bytes(env, argv[1], true, true);
  if (!name) return NULL;
  int rc = fchownat(dirfd, name, uid, gid, AT_SYMLINK_NOFOLLOW | (name[0] == 0 ? AT_EMPTY_PATH : 0));
  return finish_call(env, rc, name, "fchownat");
}

// chmod of an O_PATH (or any) fd through its magic link: the inode checked is the inode changed.
static int chmod_fd(int fd, mode_t mode) {
  struct stat st;
  if (fstat(fd, &st) < 0) return -1;
  if (S_ISLNK(st.st_mode)) {
    errno = ELOOP;
    return -1;
  }
  char path[64];
  proc_path(path, sizeof path, fd, "");
  return chmod(path, mode);
}

// chmodAt(dirfd, name, mode): never a symlink (ELOOP), never through one; "" is the fd's own
// inode. fchmodat2 refuses symlinks itself; without it, an O_PATH|O_NOFOLLOW fd is checked and
// chmodded through its magic link.
napi_value chmod_at(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int32_t dirfd, mode;
  if (!get_args(env, info, 3, argv) || !get_int(env, argv[0], &dirfd) || !get_int(env, argv[2], &mode)) return NULL;
  char *name = get_bytes(env, argv[1], true, true);
  if (!name) return NULL;
  int rc;
  if (name[0] == 0) {
    rc = chmod_fd(dirfd, mode);
  } else {
    rc = syscall(SYS_fchmodat2, dirfd, name, mode, AT_SYMLINK_NOFOLLOW);
    if (rc < 0 && errno == EOPNOTSUPP) errno = ELOOP; // fchmodat2 met a symlink
    if (rc < 0 && errno == ENOSYS) {
      int fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
      rc = fd < 0 ? -1 : chmod_fd(fd, mode);
      int err = errno;
      if (fd >= 0) close(fd);
      errno = err;
    }
  }
  return finish_call(env, rc, name, "fchmodat");
}

// utimesAt(dirfd, name, seconds: bigint, nanoseconds): atime and mtime, exactly (negative too),
// of the entry itself; "" is the fd's own inode (through its magic link; not for a symlink's fd).
napi_value utimes_at(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  int32_t dirfd, nsec;
  int64_t sec;
  bool lossless;
  if (!get_args(env, info, 4, argv) || !get_int(env, argv[0], &dirfd) || !get_int(env, argv[3], &nsec)) return NULL;
  if (napi_get_value_bigint_int64(env, argv[2], &sec, &lossless) != napi_ok || !lossless) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "seconds must be a bigint within 64 bits");
    return NULL;
  }
  char *name = get_bytes(env, argv[1], true, true);
  if (!name) return NULL;
  struct timespec ts[2] = {{.tv_sec = sec, .tv_nsec = nsec}, {.tv_sec = sec, .tv_nsec = nsec}};
  int rc;
  if (name[0] == 0) {
    char path[64];
    proc_path(path, sizeof path, dirfd, "");
    rc = utimensat(AT_FDCWD, path, ts, 0);
  } else {
    rc = utimensat(dirfd, name, ts, AT_SYMLINK_NOFOLLOW);
  }
  return finish_call(env, rc, name, "utimensat");
}

// setXattrAt(dirfd, name, xattrName: Buffer, value: Buffer): on the entry itself (lsetxattr of
// /proc/self/fd/DIRFD/NAME: the parent is the fd's directory, the leaf is not followed); "" is
// the fd's own inode (setxattr through its magic link; not for a symlink's fd).
napi_value set_xattr_at(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  int32_t dirfd;
  void *value;
  size_t len;
  char *name = get_dirfd_name(env, info, 4, argv, &dirfd, true);
  if (!name) return NULL;
  char *xname = get_buffer(env, argv[3], &value, &len) ? get_bytes(env, argv[2], false, false) : NULL;
  if (!xname) { free(name); return NULL; }
  size_t size = strlen(name) + 64;
  char *path = malloc(size);
  int rc = -1;
  int err = ENOMEM;
  if (path != NULL) {
    proc_path(path, size, dirfd, name);
    // "": the inode behind the magic link itself: follow that link, and only that one.
    rc = name[0] == 0 ? setxattr(path, xname, value, len, 0) : lsetxattr(path, xname, value, len, 0);
    err = errno;
    free(path);
  }
  free(name);
  free(xname);
  if (rc < 0) return throw_errno(env, err, "lsetxattr");
  return NULL;
}
