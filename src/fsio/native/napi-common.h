// Shared by the N-API addons: errors with an errno `.code` like Node's, argument checks.
#ifndef OVERLAYDIFF_NAPI_COMMON_H
#define OVERLAYDIFF_NAPI_COMMON_H
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <node_api.h>
#include <uv.h>

// Throws an Error with `.code` (errno name), `.errno` (negative) and `.syscall`; returns NULL.
static inline napi_value throw_errno(napi_env env, int err, const char *syscall) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s: %s", syscall, strerror(err));
  napi_value jcode, jmsg, error, jsys, jerrno;
  napi_create_string_utf8(env, uv_err_name(-err), NAPI_AUTO_LENGTH, &jcode);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &jmsg);
  napi_create_error(env, jcode, jmsg, &error);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &jsys);
  napi_set_named_property(env, error, "syscall", jsys);
  napi_create_int32(env, -err, &jerrno);
  napi_set_named_property(env, error, "errno", jerrno);
  napi_throw(env, error);
  return NULL;
}

static inline bool get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < want) {
    napi_throw_type_error(env, "ERR_MISSING_ARGS", "missing arguments");
    return false;
  }
  return true;
}

// A Buffer argument as a NUL-terminated copy; NULL (with a pending exception) on a bad argument.
// `component`: the bytes must be one name ("" allowed only with allow_empty): no '/', not . or ..
static inline char *get_bytes(napi_env env, napi_value value, bool component, bool allow_empty) {
  bool is_buffer = false;
  napi_is_buffer(env, value, &is_buffer);
  if (!is_buffer) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "expected a Buffer");
    return NULL;
  }
  void *data;
  size_t len;
  napi_get_buffer_info(env, value, &data, &len);
  if (memchr(data, 0, len) != NULL) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", "a path or name contains a NUL byte");
    return NULL;
  }
  if (component) {
    bool dots = (len == 1 && ((char *)data)[0] == '.') || (len == 2 && memcmp(data, "..", 2) == 0);
    if (memchr(data, '/', len) != NULL || dots || (len == 0 && !allow_empty)) {
      napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", "expected one name component (no '/', not '.' or '..')");
      return NULL;
    }
  }
  char *s = malloc(len + 1);
  if (s == NULL) {
    throw_errno(env, ENOMEM, "malloc");
    return NULL;
  }
  memcpy(s, data, len);
  s[len] = 0;
  return s;
}

#endif
