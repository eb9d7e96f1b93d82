#!/usr/bin/env bash
# Fetches umoci >= 0.5 (it reads tar+zstd layers) from Debian testing into DEST without installing
# it system-wide: bookworm's umoci 0.4.7 rejects zstd layers. Uses only Debian's archive, with a
# private apt state so the machine's sources and package lists stay untouched.
set -euo pipefail
dest=${1:?usage: fetch-umoci.sh DEST}
work=$(mktemp -d)
trap 'rm -rf "$work" "$dest.tmp"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial"
echo 'deb http://deb.debian.org/debian testing main' >"$work/sources.list"
apt_opts=(-o "Dir::Etc::SourceList=$work/sources.list" -o Dir::Etc::SourceParts=/dev/null
  -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o APT::Sandbox::User=root)
apt-get "${apt_opts[@]}" update -qq
(cd "$work" && apt-get "${apt_opts[@]}" download -qq umoci)
mkdir -p "$(dirname "$dest")"
dpkg -x "$work"/umoci_*.deb "$dest.tmp"
version=$("$dest.tmp/usr/bin/umoci" --version | sed -n 's/^umoci version \([0-9]*\)\.\([0-9]*\).*/\1 \2/p')
read -r major minor <<<"$version"
if (( major == 0 && minor < 5 )); then
  echo "fetch-umoci.sh: Debian testing has umoci $major.$minor, which cannot read zstd layers" >&2
  exit 1
fi
rm -rf "$dest"
mv "$dest.tmp" "$dest"
