// lseek(2) with SEEK_DATA / SEEK_HOLE for Node (its fs API has neither): where a file's data
// segments are, so a sparse file's holes are emitted as zeros without being read.
// Errors carry the errno name in `.code`; ENXIO (no data at or after the offset) is an answer, not
// an error: it returns -1.
#define _GNU_SOURCE
#include <unistd.h>
#include "napi-common.h"

// seek(fd: number, offset: number, whence: 'data' | 'hole'): number
// The offset of the next data byte (SEEK_DATA) or the next hole (SEEK_HOLE; end of file counts as
// a hole) at or after `offset`; -1 when SEEK_DATA finds no data before the end of the file.
// Offsets are doubles: exact up to 2^53, far beyond any file size Linux allows.
static napi_value seek_data_or_hole(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!get_args(env, info, 3, argv)) return NULL;
  int32_t fd;
  double offset;
  char whence_name[8];
  size_t whence_len = 0;
  if (!get_int(env, argv[0], &fd)) return NULL;
  if (fd < 0) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", "fd must be a non-negative integer");
    return NULL;
  }
  if (napi_get_value_double(env, argv[1], &offset) != napi_ok || !(offset >= 0) || offset > 9007199254740992.0) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "offset must be a non-negative safe integer");
    return NULL;
  }
  if (napi_get_value_string_utf8(env, argv[2], whence_name, sizeof whence_name, &whence_len) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "whence must be 'data' or 'hole'");
    return NULL;
  }
  int whence;
  if (whence_len == 4 && memcmp(whence_name, "data", 4) == 0) whence = SEEK_DATA;
  else if (whence_len == 4 && memcmp(whence_name, "hole", 4) == 0) whence = SEEK_HOLE;
  else {
    napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", "whence must be 'data' or 'hole'");
    return NULL;
  }
  // lseek moves the fd's file position; callers read with explicit positions (pread), so it does not matter.
  off_t at = lseek(fd, (off_t)offset, whence);
  if (at < 0) {
    if (errno == ENXIO && whence == SEEK_DATA) at = -1;
    else return throw_errno(env, errno, whence == SEEK_DATA ? "lseek(SEEK_DATA)" : "lseek(SEEK_HOLE)");
  }
  napi_value result;
  napi_create_double(env, (double)at, &result);
  return result;
}

// Registered by addon.c: the package has one addon (node-gyp-build loads one per package).
napi_value seek_data_init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    NAPI_METHOD("seek", seek_data_or_hole),
  };
  napi_define_properties(env, exports, 1, props);
  return exports;
}
