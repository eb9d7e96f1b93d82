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

// list(path: Buffer): Buffer  -- the raw NUL-separated name list.
static napi_value xattr_list(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  char *path = get_bytes(env, argv[0], false, true);
  if (!path) return NULL;
  napi_value result = read_xattr_bytes(env, path, NULL);
  free(path);
  return result;
}

// get(path: Buffer, name: Buffer): Buffer
static napi_value xattr_get(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!get_args(env, info, 2, argv)) return NULL;
  char *path = get_bytes(env, argv[0], false, true);
  if (!path) return NULL;
  char *name = get_bytes(env, argv[1], false, true);
  if (!name) { free(path); return NULL; }
  napi_value result = read_xattr_bytes(env, path, name);
  free(path);
  free(name);
  return result;
}

// set(path: Buffer, name: Buffer, value: Buffer): undefined
static napi_value xattr_set(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!get_args(env, info, 3, argv)) return NULL;
  bool is_buffer = false;
  napi_is_buffer(env, argv[2], &is_buffer);
  if (!is_buffer) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "value must be a Buffer");
    return NULL;
  }
  char *path = get_bytes(env, argv[0], false, true);
  if (!path) return NULL;
  char *name = get_bytes(env, argv[1], false, true);
  if (!name) { free(path); return NULL; }
  void *value;
  size_t len;
  napi_get_buffer_info(env, argv[2], &value, &len);
  int rc = lsetxattr(path, name, value, len, 0);
  int err = errno;
  free(path);
  free(name);
  if (rc < 0) throw_errno(env, err, "lsetxattr");
  return NULL;
}

// remove(path: Buffer, name: Buffer): undefined
static napi_value xattr_remove(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!get_args(env, info, 2, argv)) return NULL;
  char *path = get_bytes(env, argv[0], false, true);
  if (!path) return NULL;
  char *name = get_bytes(env, argv[1], false, true);
  if (!name) { free(path); return NULL; }
  int rc = lremovexattr(path, name);
  int err = errno;
  free(path);
  free(name);
  if (rc < 0) throw_errno(env, err, "lremovexattr");
  return NULL;
}

// Registered by addon.c: the package has one addon (node-gyp-build loads one per package).
napi_value xattr_init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"list", NULL, xattr_list, NULL, NULL, NULL, napi_default, NULL},
    {"get", NULL, xattr_get, NULL, NULL, NULL, napi_default, NULL},
    {"set", NULL, xattr_set, NULL, NULL, NULL, napi_default, NULL},
    {"remove", NULL, xattr_remove, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

