// The package's one N-API module: node-gyp-build loads a single addon per package, so every
// native part (xattrs, the fd-relative calls apply uses, file handles, per-block deflate) registers its functions here.
#include <node_api.h>

napi_value xattr_init(napi_env env, napi_value exports);
napi_value rooted_at_init(napi_env env, napi_value exports);
napi_value file_handle_init(napi_env env, napi_value exports);
napi_value deflate_init(napi_env env, napi_value exports);
napi_value seek_data_init(napi_env env, napi_value exports);

static napi_value init(napi_env env, napi_value exports) {
  xattr_init(env, exports);
  rooted_at_init(env, exports);
  file_handle_init(env, exports);
  deflate_init(env, exports);
  seek_data_init(env, exports);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
