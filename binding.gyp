{
  "targets": [
    {
      "target_name": "overlaydiff",
      "sources": [
        "src/fsio/native/addon.c",
        "src/fsio/native/xattr.c",
        "src/fsio/native/rooted-at.c",
        "src/fsio/native/rooted-at-meta.c",
        "src/fsio/native/file-handle.c",
        "src/fsio/native/seek-data.c"
      ],
      "cflags": ["-Wall", "-Wextra", "-O2"]
    }
  ]
}
