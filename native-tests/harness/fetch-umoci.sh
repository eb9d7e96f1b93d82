#!/usr/bin/env bash
# Fetches umoci >= 0.5 (it reads tar+zstd layers) from Debian testing into DEST without installing
# it system-wide: bookworm's umoci 0.4.7 rejects zstd layers.
set -euo pipefail
dest=${1:?usage: fetch-umoci.sh DEST}
source "$(dirname "$0")/debian-testing.sh"
trap 'rm -rf "$dest.tmp"' EXIT
fetch_from_testing umoci "$dest.tmp"
version=$("$dest.tmp/usr/bin/umoci" --version | sed -n 's/^umoci version \([0-9]*\)\.\([0-9]*\).*/\1 \2/p')
read -r major minor <<<"$version"
if (( major == 0 && minor < 5 )); then
  echo "fetch-umoci.sh: Debian testing has umoci $major.$minor, which cannot read zstd layers" >&2
  exit 1
fi
rm -rf "$dest"
mv "$dest.tmp" "$dest"
