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

// A property descriptor exporting `fn` under `name`.
#define NAPI_METHOD(name, fn) {name, NULL, fn, NULL, NULL, NULL, napi_default, NULL}

static inline bool get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < want) {
    napi_throw_type_error(env, "ERR_MISSING_ARGS", "missing arguments");
    return false;
  }
  return true;
}

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

// A Buffer argument's bytes, in place; false (with a pending TypeError) when it is not a Buffer.
static inline bool get_buffer(napi_env env, napi_value value, void **data, size_t *len) {
  bool is_buffer = false;
  napi_is_buffer(env, value, &is_buffer);
  if (!is_buffer) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "expected a Buffer");
    return false;
  }
  napi_get_buffer_info(env, value, data, len);
  return true;
}

// A Buffer argument as a NUL-terminated copy; NULL (with a pending exception) on a bad argument.
// `component`: the bytes must be one name ("" allowed only with allow_empty): no '/', not . or ..
static inline char *get_bytes(napi_env env, napi_value value, bool component, bool allow_empty) {
  void *data;
  size_t len;
  if (!get_buffer(env, value, &data, &len)) return NULL;
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

// The common end of a call on one copied argument: frees it, then throws errno's error when rc < 0
// (errno still as the call left it) or returns undefined.
static inline napi_value finish_call(napi_env env, int rc, char *arg, const char *syscall) {
  int err = errno;
  free(arg);
  return rc < 0 ? throw_errno(env, err, syscall) : NULL;
}

#endif
