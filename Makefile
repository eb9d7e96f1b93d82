# overlaydiff — every target a newcomer or CI needs. Native targets need root (real overlay mounts).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
NPM_STAMP := node_modules/.package-lock.json
APT_PACKAGES := attr libcap2-bin umoci skopeo oci-image-tool zstd containerd zsh fish groff-base \
  gcc-aarch64-linux-gnu libc6-dev-arm64-cross musl-tools qemu-user-static libdeflate-dev \
  pigz time
REPORTS := .reports
# The one in-repo N-API addon (binding.gyp); npm ci builds it, a changed source rebuilds it.
ADDON := build/Release/overlaydiff.node
# umoci >= 0.5 from Debian testing, for zstd layouts (bookworm's 0.4.7 rejects them); not installed system-wide.
UMOCI_ZSTD := .tools/umoci/usr/bin/umoci
# containerd >= 2.0 from Debian testing, for the `overlaydiff serve` tests (bookworm's 1.6 has no diff proxy plugins).
CONTAINERD2 := .tools/containerd/usr/bin/containerd

.PHONY: deps system-deps build typecheck lint format unit native-test test test-unit test-native example bench clean docs man prebuilds

# System tools the tests and the example use (getfattr/setfattr, setcap; umoci, skopeo and oci-image-tool
# read the OCI layouts we write; zstd reads our zstd layers; containerd imports and unpacks them; zsh and
# fish load the completion scripts; groff renders the man pages; the cross compilers and qemu build and
# load the prebuilt addons; libdeflate-dev is the static libdeflate the addon links for gzip; pigz and GNU
# time are make bench's baselines and RSS meter);
# npm packages from the lockfile.
deps: system-deps $(NPM_STAMP) $(UMOCI_ZSTD) $(CONTAINERD2) $(ADDON)

# First: npm ci compiles the addon, which links libdeflate only when it is installed.
system-deps:
	@if ! command -v getfattr >/dev/null || ! command -v setcap >/dev/null || ! command -v umoci >/dev/null \
	  || ! command -v skopeo >/dev/null || ! command -v oci-image-tool >/dev/null || ! command -v zstd >/dev/null \
	  || ! command -v containerd >/dev/null || ! command -v ctr >/dev/null \
	  || ! command -v zsh >/dev/null || ! command -v fish >/dev/null || ! command -v groff >/dev/null \
	  || ! command -v aarch64-linux-gnu-gcc >/dev/null || ! command -v musl-gcc >/dev/null || ! command -v qemu-aarch64-static >/dev/null \
	  || [ ! -f /usr/include/libdeflate.h ] || ! command -v pigz >/dev/null || [ ! -x /usr/bin/time ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(APT_PACKAGES) >/dev/null; fi

$(UMOCI_ZSTD):
	bash native-tests/harness/fetch-tool.sh umoci 0.5.0 .tools/umoci

$(CONTAINERD2):
	bash native-tests/harness/fetch-tool.sh containerd 2.0.0 .tools/containerd

$(NPM_STAMP): package.json package-lock.json | system-deps
	npm ci --no-audit --no-fund

# The N-API addons (npm ci builds them too); rebuilt when their sources change.
$(ADDON): $(NPM_STAMP) binding.gyp $(wildcard src/fsio/native/*.c src/fsio/native/*.h) | system-deps
	npm run build:addon

# dist is rebuilt from scratch: whatever tsc wrote before (a deleted module, a source map) must not be packed.
build: deps
	rm -rf dist
	npx tsc -p tsconfig.build.json
	chmod +x dist/cli/main.js
	node scripts/man.mjs dist/man

# The addon prebuilt for linux-x64 (glibc, musl) and linux-arm64 (glibc) into prebuilds/, shipped in the package.
prebuilds: deps
	npm run prebuilds

# Man pages from the help texts (also part of build, shipped in dist/man): man -l dist/man/overlaydiff-diff.1
man: build

typecheck: deps
	npx tsc -p tsconfig.json --noEmit
	npx tsc -p bench/tsconfig.json --noEmit

# Format check and lint in one pass (Biome, biome.jsonc); `make format` rewrites the files in place.
lint: deps
	npx biome ci .

format: deps
	npx biome format --write .

unit: deps
	npx vitest run --project unit

# Each run is contained: its own mount and pid namespaces, so no mount or process outlives it.
native-test: build prebuilds
	unshare --mount --propagation private --pid --fork --mount-proc \
	  npx vitest run --project native

# Everything: types, format and lint, the API reference (fails on an undocumented export), unit and native tests,
# with JSON reports that .ci/run totals.
test: typecheck lint docs test-unit test-native

test-unit: deps
	@mkdir -p $(REPORTS)
	npx vitest run --project unit --reporter=default --reporter=json --outputFile.json=$(REPORTS)/unit.json

test-native: build prebuilds
	@mkdir -p $(REPORTS)
	unshare --mount --propagation private --pid --fork --mount-proc \
	  npx vitest run --project native --reporter=default --reporter=json --outputFile.json=$(REPORTS)/native.json

example: build
	bash fixtures/example/run.sh

# The bench is TypeScript (type-checked like the rest) compiled with the fixtures it uses into .bench/.
# Quick run: BENCH_SCALE=0.1 make bench. It needs pigz, zstd, openssl and GNU time (apt-get install pigz zstd time).
bench: build
	rm -rf .bench
	npx tsc -p bench/tsconfig.json
	unshare --mount --propagation private --pid --fork --mount-proc node .bench/bench/run.js

# API reference from the TSDoc of the public API (src/index.ts) into docs/api.
docs: deps
	npx typedoc

clean:
	rm -rf dist build docs/api prebuilds $(REPORTS)

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

# Shrinks a failing fuzz seed to its minimal case (drops operations while the failure keeps its kind):
# `make shrink SEED=86 MODE=trusted`. A hand tool, not a test; contained like fuzz.
MODE ?= trusted
.PHONY: shrink
shrink: build
	@test -n "$(SEED)" || { echo 'usage: make shrink SEED=<seed> [MODE=trusted|user]' >&2; exit 2; }
	unshare --mount --propagation private --pid --fork --mount-proc node native-tests/fuzz/shrink.mjs $(SEED) $(MODE)
