{
  # libdeflate (per-block deflate for parallel gzip, src/fsio/native/deflate.c) is linked statically
  # when its static library is found: $LIBDEFLATE_DIR/libdeflate.a with libdeflate.h beside it (the
  # prebuilds' cross builds), else the compiler's own libdeflate.a (Debian: libdeflate-dev). Without
  # it the addon builds without deflateBlock and gzip uses node:zlib.
  "variables": {
    "libdeflate_a": "<!(sh -c 'if [ -n \"${LIBDEFLATE_DIR:-}\" ]; then if [ -f \"$LIBDEFLATE_DIR/libdeflate.a\" ]; then echo \"$LIBDEFLATE_DIR/libdeflate.a\"; else echo none; fi; else p=$(${CC:-cc} -print-file-name=libdeflate.a); if [ -f \"$p\" ] && [ \"${p#/}\" != \"$p\" ]; then echo \"$p\"; else echo none; fi; fi')",
    "libdeflate_include": "<!(sh -c 'echo ${LIBDEFLATE_DIR:-/usr/include}')"
  },
  "targets": [
    {
      "target_name": "overlaydiff",
      "sources": [
        "src/fsio/native/addon.c",
        "src/fsio/native/xattr.c",
        "src/fsio/native/rooted-at.c",
        "src/fsio/native/rooted-at-meta.c",
        "src/fsio/native/file-handle.c",
        "src/fsio/native/deflate.c",
        "src/fsio/native/seek-data.c"
      ],
      "cflags": ["-Wall", "-Wextra", "-O2"],
      "conditions": [
        ["libdeflate_a!='none'", {
          "defines": ["OVERLAYDIFF_LIBDEFLATE"],
          "include_dirs": ["<(libdeflate_include)"],
          "libraries": ["<(libdeflate_a)", "-Wl,--exclude-libs,ALL"]
        }]
      ]
    }
  ]
}
