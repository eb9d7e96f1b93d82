#!/usr/bin/env python3
"""Lists the members Python's tarfile reads in each archive given (the framing Go's archive/tar uses).

Usage: tar-members.py ARCHIVE...   Prints one JSON object per archive and line:
{"archive": PATH, "members": [name as hex bytes, ...], "error": null | "message"}.
Names lose trailing '/' (as overlaydiff's reader reports them); gzip is detected by tarfile.
"""
import json
import os
import sys
import tarfile

for path in sys.argv[1:]:
    members, error = [], None
    try:
        with tarfile.open(path, "r:*", encoding="utf-8", errors="surrogateescape") as tf:
            for info in tf:
                members.append(os.fsencode(info.name).rstrip(b"/").hex())
    except Exception as err:  # any refusal: the list so far and why
        error = f"{type(err).__name__}: {err}"
    print(json.dumps({"archive": path, "members": members, "error": error}), flush=True)
