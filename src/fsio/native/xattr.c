// No-follow xattr calls on byte paths (llistxattr/lgetxattr/lsetxattr/lremovexattr) for Node.
// Errors carry the errno name in `.code` (e.g. ENODATA) so callers can handle named cases.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>
#include "napi-common.h"

// The value of `name` at `path` (lgetxattr), or with name NULL the raw name list (llistxattr), as a
// new Buffer. A value too big for the stack buffer is read again into one of the size the kernel
// reports, until it fits (it may grow between the size query and the read).
static napi_value read_xattr_bytes(napi_env env, const char *path, const char *name) {
  const char *syscall = name ? "lgetxattr" : "llistxattr";
  char stack[4096];
  char *buf = stack;
  ssize_t n = name ? lgetxattr(path, name, buf, sizeof stack) : llistxattr(path, buf, sizeof stack);
  while (n < 0 && errno == ERANGE) {
    if (buf != stack) free(buf);
    buf = stack;
    ssize_t need = name ? lgetxattr(path, name, NULL, 0) : llistxattr(path, NULL, 0);
    if (need < 0) { n = -1; break; }
    char *grown = malloc(need + 1);
    if (!grown) { errno = ENOMEM; n = -1; break; }
    buf = grown;
    n = name ? lgetxattr(path, name, buf, need + 1) : llistxattr(path, buf, need + 1);
  }
  int err = errno;
  napi_value result = NULL;
  if (n < 0) {
    throw_errno(env, err, syscall);
  } else {
    napi_create_buffer_copy(env, n, buf, NULL, &result);
  }
  if (buf != stack) free(buf);
  return result;
}

// Copies the first `count` arguments (Buffers) into strs as NUL-terminated strings; false, with
// nothing left allocated and an exception pending, on a bad argument.
static bool get_strings(napi_env env, napi_value *argv, size_t count, char **strs) {
  for (size_t i = 0; i < count; i++) {
    strs[i] = get_bytes(env, argv[i], false, true);
    if (!strs[i]) {
      while (i > 0) free(strs[--i]);
      return false;
    }
  }
  return true;
}

// list(path: Buffer): Buffer  -- the raw NUL-separated name list.
static napi_value xattr_list(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  char *path;
  if (!get_args(env, info, 1, argv) || !get_strings(env, argv, 1, &path)) return NULL;
  napi_value result = read_xattr_bytes(env, path, NULL);
  free(path);
  return result;
}

// get(path: Buffer, name: Buffer): Buffer
static napi_value xattr_get(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  char *s[2];
  if (!get_args(env, info, 2, argv) || !get_strings(env, argv, 2, s)) return NULL;
  napi_value result = read_xattr_bytes(env, s[0], s[1]);
  free(s[0]);
  free(s[1]);
  return result;
}

// set(path: Buffer, name: Buffer, value: Buffer): undefined
static napi_value xattr_set(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  char *s[2];
  void *value;
  size_t len;
  if (!get_args(env, info, 3, argv) || !get_buffer(env, argv[2], &value, &len) || !get_strings(env, argv, 2, s)) return NULL;
  int rc = lsetxattr(s[0], s[1], value, len, 0);
  napi_value out = finish_call(env, rc, s[0], "lsetxattr");
  free(s[1]);
  return out;
}

// remove(path: Buffer, name: Buffer): undefined
static napi_value xattr_remove(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  char *s[2];
  if (!get_args(env, info, 2, argv) || !get_strings(env, argv, 2, s)) return NULL;
  int rc = lremovexattr(s[0], s[1]);
  napi_value out = finish_call(env, rc, s[0], "lremovexattr");
  free(s[1]);
  return out;
}

// Registered by addon.c: the package has one addon (node-gyp-build loads one per package).
napi_value xattr_init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    NAPI_METHOD("list", xattr_list),
    NAPI_METHOD("get", xattr_get),
    NAPI_METHOD("set", xattr_set),
    NAPI_METHOD("remove", xattr_remove),
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

