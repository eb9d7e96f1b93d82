#!/usr/bin/env bash
# fetch-tool.sh PACKAGE MIN_VERSION DEST: unpacks Debian testing's PACKAGE (its usr/bin/... tree) into
# DEST without installing it system-wide, and refuses a version below MIN_VERSION. The suite takes
# umoci >= 0.5 (bookworm's 0.4.7 rejects zstd layers) and containerd >= 2.0 (1.6 has no external
# differs) this way; only their binaries are used, no service is installed.
set -euo pipefail
package=${1:?usage: fetch-tool.sh PACKAGE MIN_VERSION DEST}
min=${2:?usage: fetch-tool.sh PACKAGE MIN_VERSION DEST}
dest=${3:?usage: fetch-tool.sh PACKAGE MIN_VERSION DEST}
source "$(dirname "$0")/debian-testing.sh"
trap 'rm -rf "$dest.tmp"' EXIT
fetch_from_testing "$package" "$dest.tmp"
version=$("$dest.tmp/usr/bin/$package" --version | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -n 1)
if [[ $(printf '%s\n%s\n' "$min" "$version" | sort -V | head -n 1) != "$min" ]]; then
  echo "fetch-tool.sh: Debian testing has $package ${version:-of unknown version}; the suite needs >= $min" >&2
  exit 1
fi
rm -rf "$dest"
mv "$dest.tmp" "$dest"
