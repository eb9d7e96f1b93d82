#!/usr/bin/env bash
# Builds every addon binding.gyp lists for the platforms the package ships prebuilt, into
# prebuilds/linux-<arch>/node.napi.<libc>.node (the layout node-gyp-build loads at run time and checks at
# install, so an install on these platforms compiles nothing). Cross-compiles: gcc for x64 glibc,
# aarch64-linux-gnu-gcc for arm64 glibc, musl-gcc for x64 musl. N-API, so one binary serves every Node.
# Run through `npm run prebuilds` (npm puts its node-gyp on PATH). Builds in a scratch copy: build/ stays.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# binding.gyp and the sources it names (gyp files are Python literals).
python3 - "$scratch" <<'PY'
import ast, os, shutil, sys
gyp = ast.literal_eval(open('binding.gyp').read())
shutil.copy('binding.gyp', sys.argv[1])
for target in gyp['targets']:
    for source in target.get('sources', []):
        os.makedirs(os.path.join(sys.argv[1], os.path.dirname(source)), exist_ok=True)
        shutil.copy(source, os.path.join(sys.argv[1], source))
        # The headers the sources include live beside them.
        folder = os.path.dirname(source) or '.'
        for name in os.listdir(folder):
            if name.endswith('.h'):
                shutil.copy(os.path.join(folder, name), os.path.join(sys.argv[1], folder, name))
PY

# libdeflate, gzip's engine (src/fsio/native/deflate.c, ARCHITECTURE.md D33), is linked statically into
# every prebuild; $LIBDEFLATE_DIR (libdeflate.a + libdeflate.h) tells binding.gyp where. x64 glibc:
# the system's libdeflate-dev. x64 musl: the same x64 objects (they call only malloc, free, memcpy,
# memmove, memset and __stack_chk_fail, which musl has) with the header beside them. arm64: Debian's
# libdeflate-dev:arm64 of this machine's release, downloaded with a private apt state (the machine's
# own lists and architectures are untouched) and unpacked into the scratch dir.
[ -f /usr/include/libdeflate.h ] && [ -f /usr/lib/x86_64-linux-gnu/libdeflate.a ] \
  || { echo "prebuilds: libdeflate is missing (apt-get install libdeflate-dev)" >&2; exit 1; }
mkdir -p "$scratch/libdeflate-x64"
cp /usr/include/libdeflate.h /usr/lib/x86_64-linux-gnu/libdeflate.a "$scratch/libdeflate-x64/"

fetch_libdeflate_arm64() {
  local dest=$1 apt=$scratch/apt release
  # shellcheck source=../native-tests/harness/debian-testing.sh
  source native-tests/harness/debian-testing.sh
  release=$(. /etc/os-release && echo "$VERSION_CODENAME")
  mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$dest"
  echo "deb [arch=arm64] $(debian_mirror) $release main" >"$apt/sources.list"
  local apt_opts=(-o "Dir::Etc::SourceList=$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache" -o APT::Sandbox::User=root
    -o APT::Architecture=arm64 -o APT::Architectures::=arm64)
  apt-get "${apt_opts[@]}" update -qq
  (cd "$apt" && apt-get "${apt_opts[@]}" download -qq libdeflate-dev:arm64)
  dpkg -x "$apt"/libdeflate-dev_*_arm64.deb "$apt/unpacked"
  cp "$apt/unpacked/usr/include/libdeflate.h" "$apt/unpacked/usr/lib/aarch64-linux-gnu/libdeflate.a" "$dest/"
}
fetch_libdeflate_arm64 "$scratch/libdeflate-arm64"

# arch libc compiler strip
TARGETS=(
  "x64 glibc gcc strip"
  "arm64 glibc aarch64-linux-gnu-gcc aarch64-linux-gnu-strip"
  "x64 musl musl-gcc strip"
)
rm -rf prebuilds
for spec in "${TARGETS[@]}"; do
  read -r arch libc cc strip <<<"$spec"
  command -v "$cc" >/dev/null || { echo "prebuilds: $cc is missing (apt-get install gcc gcc-aarch64-linux-gnu musl-tools)" >&2; exit 1; }
  rm -rf "$scratch/build"
  (cd "$scratch" && LIBDEFLATE_DIR="$scratch/libdeflate-$arch" CC=$cc CXX=$cc LINK=$cc node-gyp rebuild --arch="$arch" --loglevel=warn >/dev/null)
  built=("$scratch"/build/Release/*.node)
  # deflate.c registers this name only when built with libdeflate.
  grep -q 'overlaydiff:deflateBlock' "${built[0]}" || { echo "prebuilds: linux-$arch $libc was built without libdeflate" >&2; exit 1; }
  # node-gyp-build loads one addon per package.
  [ "${#built[@]}" -eq 1 ] || { echo "prebuilds: expected one .node from binding.gyp, got ${built[*]}" >&2; exit 1; }
  mkdir -p "prebuilds/linux-$arch"
  "$strip" --strip-unneeded -o "prebuilds/linux-$arch/node.napi.$libc.node" "${built[0]}"
  echo "prebuilds/linux-$arch/node.napi.$libc.node $(stat -c %s "prebuilds/linux-$arch/node.napi.$libc.node") bytes"
done
cd "$root"
