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
  (cd "$scratch" && CC=$cc CXX=$cc LINK=$cc node-gyp rebuild --arch="$arch" --loglevel=warn >/dev/null)
  built=("$scratch"/build/Release/*.node)
  # node-gyp-build loads one addon per package.
  [ "${#built[@]}" -eq 1 ] || { echo "prebuilds: expected one .node from binding.gyp, got ${built[*]}" >&2; exit 1; }
  mkdir -p "prebuilds/linux-$arch"
  "$strip" --strip-unneeded -o "prebuilds/linux-$arch/node.napi.$libc.node" "${built[0]}"
  echo "prebuilds/linux-$arch/node.napi.$libc.node $(stat -c %s "prebuilds/linux-$arch/node.napi.$libc.node") bytes"
done
cd "$root"
