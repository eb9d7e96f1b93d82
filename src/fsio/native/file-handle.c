// name_to_handle_at(2) on a byte path for Node: the file handle overlayfs names its index entries by.
// Errors carry the errno name in `.code` (e.g. EOPNOTSUPP for a filesystem without handles).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <node_api.h>
#include <uv.h>

#ifndef AT_HANDLE_FID
#define AT_HANDLE_FID 0x200
#endif

static void throw_errno(napi_env env, int err, const char *syscall) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s: %s", syscall, strerror(err));
  napi_value code, text, error;
  napi_create_string_utf8(env, uv_err_name(-err), NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &text);
  napi_create_error(env, code, text, &error);
  napi_throw(env, error);
}

// handle(path: Buffer): Buffer -- 4 bytes handle_type (little endian int32), then f_handle.
// Never follows a symlink. AT_HANDLE_FID asks for the same encoding overlayfs stores
// (exportfs_encode_fid); kernels before 6.5 reject the flag, then the plain handle is taken.
static napi_value file_handle(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  bool is_buffer = false;
  if (argc >= 1) napi_is_buffer(env, argv[0], &is_buffer);
  if (!is_buffer) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "expected a Buffer path");
    return NULL;
  }
  void *data;
  size_t len;
  napi_get_buffer_info(env, argv[0], &data, &len);
  if (memchr(data, 0, len) != NULL) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", "path contains a NUL byte");
    return NULL;
  }
  char *path = malloc(len + 1);
  if (!path) { throw_errno(env, ENOMEM, "malloc"); return NULL; }
  memcpy(path, data, len);
  path[len] = 0;
  struct file_handle *fh = malloc(sizeof *fh + MAX_HANDLE_SZ);
  if (!fh) { free(path); throw_errno(env, ENOMEM, "malloc"); return NULL; }
  int mount_id;
  fh->handle_bytes = MAX_HANDLE_SZ;
  int rc = name_to_handle_at(AT_FDCWD, path, fh, &mount_id, AT_HANDLE_FID);
  if (rc < 0 && errno == EINVAL) {
    fh->handle_bytes = MAX_HANDLE_SZ;
    rc = name_to_handle_at(AT_FDCWD, path, fh, &mount_id, 0);
  }
  int err = errno;
  free(path);
  napi_value result = NULL;
  if (rc < 0) {
    throw_errno(env, err, "name_to_handle_at");
  } else {
    char *out;
    napi_create_buffer(env, 4 + fh->handle_bytes, (void **)&out, &result);
    int32_t type = fh->handle_type;
    for (int i = 0; i < 4; i++) out[i] = (char)((uint32_t)type >> (8 * i));
    memcpy(out + 4, fh->f_handle, fh->handle_bytes);
  }
  free(fh);
  return result;
}

// Registered by addon.c: the package has one addon (node-gyp-build loads one per package).
napi_value file_handle_init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"handle", NULL, file_handle, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, 1, props);
  return exports;
}

