# Catena developer entry points. `make run` and `make test` work on a fresh Debian 12 machine:
# they install missing packages, build, and then run the server or the whole test suite.
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
CMAKE_ARGS ?=
JOBS ?= $(shell nproc)
CTEST_ARGS ?=
RUN_ARGS ?=
RUN_DATA_DIR ?= data
export CATENA_ASSET_DIR ?= $(HOME)/.cache/catena/assets
export CCACHE_DIR ?= $(HOME)/.cache/ccache
# Paths relative to the checkout in ccache's hashes, so every clone (CI's included) shares one cache.
export CCACHE_BASEDIR ?= $(CURDIR)
export CCACHE_NOHASHDIR ?= 1

.PHONY: all deps assets configure build test run bench format clean

all: build

deps:
	@scripts/install-deps.sh

assets: deps
	@scripts/fetch-assets.sh >/dev/null

configure: deps
	@if [ ! -f $(BUILD_DIR)/build.ninja ]; then \
	  cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_ARGS); \
	fi

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

test: build assets
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS) $(CTEST_ARGS)

run: build assets
	@echo "Starting catenad with the built-in defaults (data in $(RUN_DATA_DIR)) and the examples loaded."
	@scripts/run-examples.sh $(BUILD_DIR) $(RUN_DATA_DIR) $(RUN_ARGS)

bench: build assets
	@scripts/run-benchmarks.sh $(BUILD_DIR)

format:
	@git ls-files '*.h' '*.cc' '*.cu' '*.cuh' | xargs clang-format -i

clean:
	rm -rf $(BUILD_DIR)
