/* Loads an N-API addon the way Node does (dlopen) and finds its module entry point, without Node:
 * for prebuilt binaries of other architectures or libcs, run under qemu or linked against musl.
 * Node's napi_* functions stay unresolved (lazy binding): only what the loader checks is checked. */
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  void *addon = dlopen(argv[1], RTLD_LAZY | RTLD_LOCAL);
  if (addon == NULL) {
    fprintf(stderr, "dlopen: %s\n", dlerror());
    return 1;
  }
  if (dlsym(addon, "napi_register_module_v1") == NULL) {
    fprintf(stderr, "dlsym: %s\n", dlerror());
    return 1;
  }
  puts("loaded");
  return 0;
}
