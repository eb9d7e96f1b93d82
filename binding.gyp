{
  "targets": [
    {
      "target_name": "xattr",
      "sources": ["src/fsio/native/xattr.c"],
      "cflags": ["-Wall", "-Wextra", "-O2"]
    },
    {
      "target_name": "file_handle",
      "sources": ["src/fsio/native/file-handle.c"],
      "cflags": ["-Wall", "-Wextra", "-O2"]
    }
  ]
}
