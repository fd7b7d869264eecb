# zmq-exporter: `make demo` runs the demo, `make test` runs every test. Both install what they need.
SWIFT      ?= swift
SWIFTFLAGS ?=
# The shipped agent carries the Swift runtime inside it, as a Go binary does: it runs on any
# glibc machine with libzmq, and touches only the runtime pages it uses (issue #7's footprint).
# Its one build recipe is deploy/build-release.sh (release, bench and soak, and the image, use it).
RELEASE    ?= SWIFT="$(SWIFT)" SWIFTFLAGS="$(SWIFTFLAGS)" deploy/build-release.sh
# Plugins that pip packages register (some break on import) are not loaded: the tests need none.
PYTEST     ?= PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 python3 -m pytest

.PHONY: preload test-preload-sanitizers test-tsan test-asan test-sanitizers-canary
.PHONY: all build release dist deps deps-bench soak test test-swift test-system demo bench bench-smoke fuzz fuzz-http clean fuzz-decoders test-sanitizers

all: build

deps:
	@scripts/ensure-deps.sh test
	@scripts/ensure-deps.sh docs || echo "chromium could not be installed: the landing-page browser test will be skipped"

deps-bench:
	@scripts/ensure-deps.sh bench

# Git revision, branch and date for --version and zmq_exporter_build_info; a plain `swift build`
# works without it (the values say "unknown").
.PHONY: build-info
build-info:
	@scripts/build-info.sh

build: build-info
	@scripts/ensure-deps.sh demo
	$(SWIFT) build $(SWIFTFLAGS)

# Static Swift runtime and zlib: the binary needs only what README.md's "Deploy" section lists.
release: preload build-info
	@scripts/ensure-deps.sh demo
	$(RELEASE)

# Issue 17: dist/zmq-exporter-VERSION.linux-ARCH.tar.gz and dist/sha256sums.txt (deploy/dist.sh).
dist: release
	deploy/dist.sh

# The zero-code preload library (docs/zero-code.md): plain C built with cc, so the .so needs
# nothing but libc (no Swift runtime) and finds libzmq at run time instead of linking it.
CC ?= cc
PRELOAD_SOURCES := $(wildcard Sources/ZMQPreload/*.c)
PRELOAD_HEADERS := $(wildcard Sources/ZMQPreload/*.h)
PRELOAD_LIB := .build/preload/libzmq_exporter_preload.so
# -flto lets the counting helpers inline into the wrappers across files (about 30 ns less per
# send+recv on the inproc benchmark).
PRELOAD_CFLAGS ?= -std=gnu11 -O2 -flto -fno-plt -g -Wall -Wextra -Werror
preload: $(PRELOAD_LIB)
$(PRELOAD_LIB): $(PRELOAD_SOURCES) $(PRELOAD_HEADERS)
	@scripts/ensure-deps.sh demo
	@mkdir -p $(dir $@)
	$(CC) $(PRELOAD_CFLAGS) -fPIC -shared -fvisibility=hidden -Wl,-z,now -o $@ $(PRELOAD_SOURCES) -pthread -ldl

# Issue 18: the library and a multi-threaded C program (threads, fork, ctx_term with lingering
# sockets) under ThreadSanitizer, then AddressSanitizer+UBSan; any report fails.
test-preload-sanitizers:
	@scripts/ensure-deps.sh demo
	Tests/system/preload_c/sanitizers.sh

demo: release
	.build/release/zmq-exporter demo $(DEMO_ARGS)

# Swift unit and socket tests, the system tests (real binary, curl, promtool, prometheus, pyzmq,
# programs under the preload library), then the Swift suite under ThreadSanitizer and
# AddressSanitizer (issue 18). Each part prints how long it took.
test: deps build-info
	@scripts/timed.sh "swift build (tests)" $(SWIFT) build --build-tests $(SWIFTFLAGS)
	@scripts/timed.sh "swift tests" $(MAKE) --no-print-directory test-swift
	@scripts/timed.sh "system tests" $(MAKE) --no-print-directory test-system
	@scripts/timed.sh "sanitizers" $(MAKE) --no-print-directory test-sanitizers

test-swift:
	$(SWIFT) test --skip-build $(SWIFTFLAGS)

test-system: preload build-info
	$(SWIFT) build --product zmq-exporter $(SWIFTFLAGS)
	ZMQ_EXPORTER_BUILT_BY_MAKE=1 ZMQ_EXPORTER_BIN=$(CURDIR)/.build/debug/zmq-exporter ZMQ_EXPORTER_PRELOAD=$(CURDIR)/$(PRELOAD_LIB) $(PYTEST) -q -p no:cacheprovider Tests/system

# Issues 7, 13, 15 and 16: every benchmark against its baseline in the same run; prints the table (about 15 min, about 5 more for benchmark 7 and 5 for benchmark 8).
# Benchmarks $$ZMQ_EXPORTER_BIN when set, else builds the release agent; if that fails, the
# agent's rows say "agent: not available".
bench: deps-bench preload
	@if [ -z "$$ZMQ_EXPORTER_BIN" ]; then $(RELEASE) --product zmq-exporter \
		|| echo "bench: the agent did not build; its rows will say so" >&2; fi
	python3 Benchmarks/bench.py --agent "$${ZMQ_EXPORTER_BIN:-$(CURDIR)/.build/release/zmq-exporter}" $(BENCH_ARGS)

# Each benchmark program once with tiny sizes (run by `make test`); fails if the agent
# ($$ZMQ_EXPORTER_BIN, default the debug build) is missing or loses a message. Asserts no timing.
bench-smoke: deps-bench preload
	python3 Benchmarks/bench.py --smoke --agent "$${ZMQ_EXPORTER_BIN:-$(CURDIR)/.build/debug/zmq-exporter}" \
		$(if $(BENCH_JSON),--json "$(BENCH_JSON)")

# libFuzzer over the HTTP request parser: its sources compiled alone with the fuzz entry point.
# New inputs go to fuzz-out/; the seed corpus in Fuzz/HTTPParser/corpus is only read.
FUZZ_SECONDS ?= 60
FUZZ_HTTP_DIR := fuzz-out/http-parser
fuzz-http:
	mkdir -p $(FUZZ_HTTP_DIR)/corpus
	swiftc -sanitize=fuzzer,address -parse-as-library -swift-version 6 -O -g \
		$(wildcard Sources/HTTPServer/Parser/*.swift) Fuzz/HTTPParser/main.swift -o $(FUZZ_HTTP_DIR)/fuzz-http-parser
	$(FUZZ_HTTP_DIR)/fuzz-http-parser -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 -max_len=4096 \
		-artifact_prefix=$(FUZZ_HTTP_DIR)/ $(FUZZ_HTTP_DIR)/corpus Fuzz/HTTPParser/corpus

clean:
	rm -rf .build

# libFuzzer targets for the YAML reader, the tap JSON scanner, the monitor-event decoder, the config
# loader and the preload stats-file decoder (FUZZ_SECONDS each); `make fuzz` runs them and the HTTP parser's.
fuzz-decoders:
	Fuzz/run.sh YAML TapJSON MonitorEvent ConfigLoader PreloadFile

fuzz: fuzz-decoders fuzz-http

# The whole Swift test suite under ThreadSanitizer, then AddressSanitizer, each in its own build
# folder (kept between runs). Any report fails the run (halt_on_error). Tests/tsan.supp names
# each suppressed report and why; none is a switch for a whole module.
# RACE_CANARY=1 adds a test with a deliberate data race: the TSan pass must then fail
# (`make test-sanitizers-canary` checks that it does).
TSAN_ENV = TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$(CURDIR)/Tests/tsan.supp" \
	$(if $(RACE_CANARY),ZMQ_EXPORTER_RACE_CANARY=1)
test-sanitizers: test-tsan test-asan

test-tsan: deps
	@scripts/timed.sh "tsan build" $(SWIFT) build --build-tests --sanitize=thread --scratch-path .build-tsan $(SWIFTFLAGS)
	@scripts/timed.sh "tsan tests" env $(TSAN_ENV) $(SWIFT) test --skip-build --sanitize=thread --scratch-path .build-tsan $(SWIFTFLAGS)

test-asan: deps
	@scripts/timed.sh "asan build" $(SWIFT) build --build-tests --sanitize=address --scratch-path .build-asan $(SWIFTFLAGS)
	@scripts/timed.sh "asan tests" env ASAN_OPTIONS=detect_leaks=0:halt_on_error=1 $(SWIFT) test --skip-build --sanitize=address --scratch-path .build-asan $(SWIFTFLAGS)

# The TSan pass with the race canary must fail with a ThreadSanitizer report: proof that a
# green pass means something.
test-sanitizers-canary: deps
	$(SWIFT) build --build-tests --sanitize=thread --scratch-path .build-tsan $(SWIFTFLAGS)
	@if env $(TSAN_ENV) ZMQ_EXPORTER_RACE_CANARY=1 $(SWIFT) test --skip-build --sanitize=thread --scratch-path .build-tsan \
		--filter RaceCanaryTests $(SWIFTFLAGS) > .build-tsan/canary.log 2>&1; then \
		echo "canary: the TSan pass did not catch the deliberate race" >&2; exit 1; \
	elif grep -q "WARNING: ThreadSanitizer" .build-tsan/canary.log; then \
		echo "canary: the TSan pass failed on the deliberate race, as it must"; \
	else cat .build-tsan/canary.log >&2; echo "canary: failed without a race report" >&2; exit 1; fi

# Issue 8: the demo under a wrk scrape load and peer churn for MINUTES minutes, sampled every 10 s
# into soak-out/soak.csv and soak.png; fails on steady memory growth, a counter going down or
# descriptor drift. Soaks $$ZMQ_EXPORTER_BIN when set, else builds the release agent.
MINUTES ?= 30
soak:
	@scripts/ensure-deps.sh soak
	@if [ -z "$$ZMQ_EXPORTER_BIN" ]; then $(RELEASE) --product zmq-exporter; fi
	python3 scripts/soak.py --minutes $(MINUTES) --agent "$${ZMQ_EXPORTER_BIN:-$(CURDIR)/.build/release/zmq-exporter}"
