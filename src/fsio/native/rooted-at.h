// Shared by rooted-at.c and rooted-at-meta.c: integer arguments, /proc/self/fd paths, the metadata calls.
#ifndef OVERLAYDIFF_ROOTED_AT_H
#define OVERLAYDIFF_ROOTED_AT_H
#include <stdio.h>
#include "napi-common.h"

static inline bool get_int(napi_env env, napi_value value, int32_t *out) {
  if (napi_get_value_int32(env, value, out) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "expected an integer");
    return false;
  }
  return true;
}

static inline napi_value int_value(napi_env env, int32_t v) {
  napi_value out;
  napi_create_int32(env, v, &out);
  return out;
}

// "/proc/self/fd/DIRFD/NAME" (or without "/NAME"): a path that reaches exactly the directory
// behind the fd through its magic link, for the calls that have no *at form (xattrs).
static inline void proc_path(char *out, size_t size, int dirfd, const char *name) {
  if (name[0] == 0) snprintf(out, size, "/proc/self/fd/%d", dirfd);
  else snprintf(out, size, "/proc/self/fd/%d/%s", dirfd, name);
}

napi_value chown_at(napi_env env, napi_callback_info info);
napi_value chmod_at(napi_env env, napi_callback_info info);
napi_value utimes_at(napi_env env, napi_callback_info info);
napi_value set_xattr_at(napi_env env, napi_callback_info info);

#endif
