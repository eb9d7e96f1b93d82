// Directory-fd-relative file operations for Node (openat2, mkdirat, linkat, mknodat, fchownat, ...):
// every call takes a directory fd and ONE name component as a Buffer, never follows a symlink in
// that name, and throws errors whose `.code` is the errno name (ENOENT, ELOOP, ...), as Node does.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#if __has_include(<linux/openat2.h>)
#include <linux/openat2.h>
#else
// musl's cross toolchain ships no kernel headers: the UAPI of openat2(2), Linux >= 5.6.
#include <stdint.h>
struct open_how {
  uint64_t flags;
  uint64_t mode;
  uint64_t resolve;
};
#define RESOLVE_NO_XDEV 0x01
#define RESOLVE_NO_MAGICLINKS 0x02
#define RESOLVE_NO_SYMLINKS 0x04
#define RESOLVE_BENEATH 0x08
#define RESOLVE_IN_ROOT 0x10
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <unistd.h>
#include "rooted-at.h"

// Nested directories removeTree descends before giving up (bounds its C stack).
#define MAX_REMOVE_DEPTH 4096

// openRoot(path: Buffer): fd -- the target directory itself (O_PATH), the one absolute path used.
static napi_value open_root(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  char *path = get_bytes(env, argv[0], false, false);
  if (!path) return NULL;
  int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  int err = errno;
  free(path);
  if (fd < 0) return throw_errno(env, err, "open");
  return int_value(env, fd);
}

static int has_openat2 = -1; // unknown, then 1 or 0 after the first ENOSYS

// One component below dirfd as an O_PATH directory fd, never through a symlink: openat2 with
// RESOLVE_NO_SYMLINKS|RESOLVE_BENEATH|RESOLVE_NO_MAGICLINKS, or openat(O_NOFOLLOW) on old kernels.
static int open_dir_at(int dirfd, const char *name) {
  if (has_openat2 != 0) {
    struct open_how how = {
      .flags = O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC,
      .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
    };
    for (;;) {
      int fd = syscall(SYS_openat2, dirfd, name, &how, sizeof how);
      if (fd >= 0 || errno != EAGAIN) {
        if (fd >= 0 || errno != ENOSYS) return fd;
        break;
      }
    }
    has_openat2 = 0;
  }
  return openat(dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

// openDir(dirfd, name): fd
static napi_value open_dir(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int32_t dirfd;
  char *name = get_dirfd_name(env, info, 2, argv, &dirfd, false);
  if (!name) return NULL;
  int fd = open_dir_at(dirfd, name);
  int err = errno;
  free(name);
  if (fd < 0) return throw_errno(env, err, "openat2");
  return int_value(env, fd);
}

// lstatAt(dirfd, name): {mode, dev, ino} | undefined when missing. name "" is the directory itself.
static napi_value lstat_at(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int32_t dirfd;
  char *name = get_dirfd_name(env, info, 2, argv, &dirfd, true);
  if (!name) return NULL;
  struct stat st;
  int rc = fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW | (name[0] == 0 ? AT_EMPTY_PATH : 0));
  int err = errno;
  free(name);
  napi_value out;
  if (rc < 0) {
    if (err == ENOENT) {
      napi_get_undefined(env, &out);
      return out;
    }
    return throw_errno(env, err, "fstatat");
  }
  napi_value mode, dev, ino, nlink;
  napi_create_object(env, &out);
  napi_create_uint32(env, st.st_mode, &mode);
  napi_create_bigint_uint64(env, st.st_dev, &dev);
  napi_create_bigint_uint64(env, st.st_ino, &ino);
  napi_create_double(env, (double)st.st_nlink, &nlink);
  napi_set_named_property(env, out, "mode", mode);
  napi_set_named_property(env, out, "dev", dev);
  napi_set_named_property(env, out, "ino", ino);
  napi_set_named_property(env, out, "nlink", nlink);
  return out;
}

// mkdirAt(dirfd, name, mode)
static napi_value mkdir_at(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int32_t dirfd, mode;
  if (!get_args(env, info, 3, argv) || !get_int(env, argv[0], &dirfd) || !get_int(env, argv[2], &mode)) return NULL;
  char *name = get_bytes(env, argv[1], true, false);
  if (!name) return NULL;
  int rc = mkdirat(dirfd, name, mode);
  return finish_call(env, rc, name, "mkdirat");
}

// createFile(dirfd, name, mode): fd open for writing; the name must not exist (O_EXCL|O_NOFOLLOW).
static napi_value create_file(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int32_t dirfd, mode;
  if (!get_args(env, info, 3, argv) || !get_int(env, argv[0], &dirfd) || !get_int(env, argv[2], &mode)) return NULL;
  char *name = get_bytes(env, argv[1], true, false);
  if (!name) return NULL;
  int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  int err = errno;
  free(name);
  if (fd < 0) return throw_errno(env, err, "openat");
  return int_value(env, fd);
}

// symlinkAt(target: Buffer, dirfd, name)
static napi_value symlink_at(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int32_t dirfd;
  if (!get_args(env, info, 3, argv) || !get_int(env, argv[1], &dirfd)) return NULL;
  char *target = get_bytes(env, argv[0], false, false);
  if (!target) return NULL;
  char *name = get_bytes(env, argv[2], true, false);
  if (!name) { free(target); return NULL; }
  int rc = symlinkat(target, dirfd, name);
  int err = errno;
  free(target);
  free(name);
  if (rc < 0) return throw_errno(env, err, "symlinkat");
  return NULL;
}

// linkAt(olddirfd, oldname, newdirfd, newname): a hardlink to oldname itself (never followed).
static napi_value link_at(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  int32_t olddirfd, newdirfd;
  if (!get_args(env, info, 4, argv) || !get_int(env, argv[0], &olddirfd) || !get_int(env, argv[2], &newdirfd)) return NULL;
  char *oldname = get_bytes(env, argv[1], true, false);
  if (!oldname) return NULL;
  char *newname = get_bytes(env, argv[3], true, false);
  if (!newname) { free(oldname); return NULL; }
  int rc = linkat(olddirfd, oldname, newdirfd, newname, 0);
  int err = errno;
  free(oldname);
  free(newname);
  if (rc < 0) return throw_errno(env, err, "linkat");
  return NULL;
}

// mknodAt(dirfd, name, kind: 'c'|'b'|'p' as a char code, major, minor): mode 0, set later.
static napi_value mknod_at(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  int32_t dirfd, kind, major, minor;
  if (!get_args(env, info, 5, argv) || !get_int(env, argv[0], &dirfd) || !get_int(env, argv[2], &kind) ||
      !get_int(env, argv[3], &major) || !get_int(env, argv[4], &minor)) return NULL;
  mode_t type = kind == 'c' ? S_IFCHR : kind == 'b' ? S_IFBLK : kind == 'p' ? S_IFIFO : 0;
  if (type == 0) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", "kind must be 'c', 'b' or 'p'");
    return NULL;
  }
  char *name = get_bytes(env, argv[1], true, false);
  if (!name) return NULL;
  int rc = mknodat(dirfd, name, type, type == S_IFIFO ? 0 : makedev(major, minor));
  return finish_call(env, rc, name, "mknodat");
}

// Removes name below dirfd and, for a directory, everything in it, through fds only (no path
// is resolved twice, no symlink followed: unlinkat removes a symlink itself).
static int remove_tree(int dirfd, const char *name, int depth) {
  if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT) return 0;
  if (errno != EISDIR) return -1;
  if (depth >= MAX_REMOVE_DEPTH) {
    errno = ELOOP;
    return -1;
  }
  for (int attempt = 0; attempt < 3; attempt++) {
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return errno == ENOENT ? 0 : -1;
    DIR *dir = fdopendir(fd);
    if (dir == NULL) {
      int err = errno;
      close(fd);
      errno = err;
      return -1;
    }
    struct dirent *e;
    while ((errno = 0, e = readdir(dir)) != NULL) {
      if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
      if (remove_tree(fd, e->d_name, depth + 1) < 0) {
        int err = errno;
        closedir(dir);
        errno = err;
        return -1;
      }
    }
    int err = errno;
    closedir(dir);
    if (err != 0) {
      errno = err;
      return -1;
    }
    if (unlinkat(dirfd, name, AT_REMOVEDIR) == 0 || errno == ENOENT) return 0;
    if (errno != ENOTEMPTY) return -1; // ENOTEMPTY: something was added meanwhile; go again
  }
  return -1;
}

// removeAt(dirfd, name): unlink, or remove a directory tree.
static napi_value remove_at(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int32_t dirfd;
  char *name = get_dirfd_name(env, info, 2, argv, &dirfd, false);
  if (!name) return NULL;
  int rc = remove_tree(dirfd, name, 0);
  return finish_call(env, rc, name, "unlinkat");
}

// readLinkAt(dirfd, name): Buffer
static napi_value read_link_at(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int32_t dirfd;
  char *name = get_dirfd_name(env, info, 2, argv, &dirfd, false);
  if (!name) return NULL;
  char buf[PATH_MAX];
  ssize_t n = readlinkat(dirfd, name, buf, sizeof buf);
  int err = errno;
  free(name);
  if (n < 0) return throw_errno(env, err, "readlinkat");
  napi_value out;
  napi_create_buffer_copy(env, n, buf, NULL, &out);
  return out;
}

// listDir(dirfd): Buffer[] -- the names in the directory behind the fd (not . and ..).
static napi_value list_dir(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t dirfd;
  if (!get_args(env, info, 1, argv) || !get_int(env, argv[0], &dirfd)) return NULL;
  int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return throw_errno(env, errno, "openat");
  DIR *dir = fdopendir(fd);
  if (dir == NULL) {
    int err = errno;
    close(fd);
    return throw_errno(env, err, "fdopendir");
  }
  napi_value out;
  napi_create_array(env, &out);
  uint32_t i = 0;
  struct dirent *e;
  while ((errno = 0, e = readdir(dir)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    napi_value name;
    napi_create_buffer_copy(env, strlen(e->d_name), e->d_name, NULL, &name);
    napi_set_element(env, out, i++, name);
  }
  int err = errno;
  closedir(dir);
  if (err != 0) return throw_errno(env, err, "readdir");
  return out;
}

// openPath(dirfd, name): an O_PATH|O_NOFOLLOW fd of the entry itself, whatever its type.
static napi_value open_path(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int32_t dirfd;
  char *name = get_dirfd_name(env, info, 2, argv, &dirfd, false);
  if (!name) return NULL;
  int fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  int err = errno;
  free(name);
  if (fd < 0) return throw_errno(env, err, "openat");
  return int_value(env, fd);
}

// dupFd(fd): a second fd (close-on-exec) for the same open directory.
static napi_value dup_fd(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t fd;
  if (!get_args(env, info, 1, argv) || !get_int(env, argv[0], &fd)) return NULL;
  int out = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (out < 0) return throw_errno(env, errno, "fcntl");
  return int_value(env, out);
}

// Registered by addon.c: the package has one addon (node-gyp-build loads one per package).
napi_value rooted_at_init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    NAPI_METHOD("openRoot", open_root),
    NAPI_METHOD("openPath", open_path),
    NAPI_METHOD("dupFd", dup_fd),
    NAPI_METHOD("openDir", open_dir),
    NAPI_METHOD("lstatAt", lstat_at),
    NAPI_METHOD("mkdirAt", mkdir_at),
    NAPI_METHOD("createFile", create_file),
    NAPI_METHOD("symlinkAt", symlink_at),
    NAPI_METHOD("linkAt", link_at),
    NAPI_METHOD("mknodAt", mknod_at),
    NAPI_METHOD("removeAt", remove_at),
    NAPI_METHOD("readLinkAt", read_link_at),
    NAPI_METHOD("listDir", list_dir),
    NAPI_METHOD("chownAt", chown_at),
    NAPI_METHOD("chmodAt", chmod_at),
    NAPI_METHOD("utimesAt", utimes_at),
    NAPI_METHOD("setXattrAt", set_xattr_at),
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

