{
  "targets": [
    {
      "target_name": "xattr",
      "sources": ["src/fsio/native/xattr.c"],
      "cflags": ["-Wall", "-Wextra", "-O2"]
    }
  ]
}
