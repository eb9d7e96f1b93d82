#!/usr/bin/env bash
# Fetches containerd >= 2.0 (it loads proxy plugins of type "diff") from Debian testing into DEST
# without installing it system-wide: bookworm's containerd 1.6 has no external differs. Only
# containerd and ctr are used (the tests unpack and diff snapshots, they run no container).
set -euo pipefail
dest=${1:?usage: fetch-containerd.sh DEST}
source "$(dirname "$0")/debian-testing.sh"
trap 'rm -rf "$dest.tmp"' EXIT
fetch_from_testing containerd "$dest.tmp"
version=$("$dest.tmp/usr/bin/containerd" --version | sed -n 's/.* v\{0,1\}\([0-9]*\)\.\([0-9]*\)\.[0-9].*/\1 \2/p')
read -r major minor <<<"$version"
if (( major < 2 )); then
  echo "fetch-containerd.sh: Debian testing has containerd $major.$minor; overlaydiff serve needs >= 2.0" >&2
  exit 1
fi
rm -rf "$dest"
mv "$dest.tmp" "$dest"
