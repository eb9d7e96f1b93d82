# overlaydiff — every target a newcomer or CI needs. Native targets need root (real overlay mounts).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
NPM_STAMP := node_modules/.package-lock.json
APT_PACKAGES := attr libcap2-bin umoci skopeo oci-image-tool zstd containerd
REPORTS := .reports
# umoci >= 0.5 from Debian testing, for zstd layouts (bookworm's 0.4.7 rejects them); not installed system-wide.
UMOCI_ZSTD := .tools/umoci/usr/bin/umoci
# The in-repo N-API addons (binding.gyp); npm ci builds them, a changed source rebuilds them.
ADDONS := build/Release/xattr.node build/Release/file_handle.node

.PHONY: deps build typecheck unit native-test test test-unit test-native example bench clean

# System tools the tests and the example use (getfattr/setfattr, setcap; umoci, skopeo and oci-image-tool
# read the OCI layouts we write; zstd reads our zstd layers; containerd imports and unpacks them);
# npm packages from the lockfile.
deps: $(NPM_STAMP) $(UMOCI_ZSTD) $(ADDONS)
	@if ! command -v getfattr >/dev/null || ! command -v setcap >/dev/null || ! command -v umoci >/dev/null \
	  || ! command -v skopeo >/dev/null || ! command -v oci-image-tool >/dev/null || ! command -v zstd >/dev/null \
	  || ! command -v containerd >/dev/null || ! command -v ctr >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(APT_PACKAGES) >/dev/null; fi

$(UMOCI_ZSTD):
	bash native-tests/harness/fetch-umoci.sh .tools/umoci

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund

$(ADDONS): binding.gyp $(wildcard src/fsio/native/*.c) | $(NPM_STAMP)
	npm run install

build: deps
	npx tsc -p tsconfig.build.json
	chmod +x dist/cli/main.js

typecheck: deps
	npx tsc -p tsconfig.json --noEmit

unit: deps
	npx vitest run --project unit

# Each run is contained: its own mount and pid namespaces, so no mount or process outlives it.
native-test: build
	unshare --mount --propagation private --pid --fork --mount-proc \
	  npx vitest run --project native

# Everything: types, unit and native tests, with JSON reports that .ci/run totals.
test: typecheck test-unit test-native

test-unit: deps
	@mkdir -p $(REPORTS)
	npx vitest run --project unit --reporter=default --reporter=json --outputFile.json=$(REPORTS)/unit.json

test-native: build
	@mkdir -p $(REPORTS)
	unshare --mount --propagation private --pid --fork --mount-proc \
	  npx vitest run --project native --reporter=default --reporter=json --outputFile.json=$(REPORTS)/native.json

example: build
	bash fixtures/example/run.sh

bench: build
	node bench/run.js

clean:
	rm -rf dist build $(REPORTS)

# Seeded random round trips (native-tests/fuzz): N seeds per namespace from START, recorded regressions
# first; contained like test-native. `make fuzz N=10000 START=5000`; one seed: FUZZ_ONLY=42 make fuzz.
# FUZZ=features runs only the feature cases (redirect_dir, metacopy, index over committed lower chains).
N ?= 150
START ?= 1
FUZZ ?= all
FUZZ_FILES := $(if $(filter features,$(FUZZ)),native-tests/fuzz/features,native-tests/fuzz)
.PHONY: fuzz
fuzz: build
	unshare --mount --propagation private --pid --fork --mount-proc \
	  env FUZZ_SEEDS=$(N) FUZZ_FEATURE_SEEDS=$(N) FUZZ_START=$(START) npx vitest run --project native $(FUZZ_FILES)
