// Shared by rooted-at.c and rooted-at-meta.c: (dirfd, name) arguments, /proc/self/fd paths, the metadata calls.
#ifndef OVERLAYDIFF_ROOTED_AT_H
#define OVERLAYDIFF_ROOTED_AT_H
#include <stdio.h>
#include "napi-common.h"

// The start every `fn(dirfd, name, ...)` call shares: `want` arguments, the directory fd in argv[0]
// and a copy of the name component in argv[1] ("" only with allow_empty); NULL on a bad argument.
static inline char *get_dirfd_name(napi_env env, napi_callback_info info, size_t want, napi_value *argv,
                                   int32_t *dirfd, bool allow_empty) {
  if (!get_args(env, info, want, argv) || !get_int(env, argv[0], dirfd)) return NULL;
  return get_bytes(env, argv[1], true, allow_empty);
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
