{
  "targets": [
    {
      "target_name": "xattr",
      "sources": ["src/fsio/native/xattr.c"],
      "cflags": ["-Wall", "-Wextra", "-O2"]
    },
    {
      "target_name": "rooted_at",
      "sources": ["src/fsio/native/rooted-at.c", "src/fsio/native/rooted-at-meta.c"],
      "cflags": ["-Wall", "-Wextra", "-O2"]
    }
  ]
}
