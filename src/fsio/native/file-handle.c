// name_to_handle_at(2) on a byte path for Node: the file handle overlayfs names its index entries by.
// Errors carry the errno name in `.code` (e.g. EOPNOTSUPP for a filesystem without handles).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "napi-common.h"

#ifndef AT_HANDLE_FID
#define AT_HANDLE_FID 0x200
#endif

// handle(path: Buffer): Buffer -- 4 bytes handle_type (little endian int32), then f_handle.
// Never follows a symlink. AT_HANDLE_FID asks for the same encoding overlayfs stores
// (exportfs_encode_fid); kernels before 6.5 reject the flag, then the plain handle is taken.
static napi_value file_handle(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  char *path = get_bytes(env, argv[0], false, false);
  if (!path) return NULL;
  struct file_handle *fh = malloc(sizeof *fh + MAX_HANDLE_SZ);
  if (!fh) { free(path); return throw_errno(env, ENOMEM, "malloc"); }
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
    NAPI_METHOD("handle", file_handle),
  };
  napi_define_properties(env, exports, 1, props);
  return exports;
}

