# zmq-exporter: `make demo` runs the demo, `make test` runs every test. Both install what they need.
SWIFT      ?= swift
SWIFTFLAGS ?=
PYTEST     ?= python3 -m pytest

.PHONY: all build release deps deps-bench test test-swift test-system demo bench fuzz fuzz-http clean fuzz-decoders

all: build

deps:
	@scripts/ensure-deps.sh test

deps-bench:
	@scripts/ensure-deps.sh bench

build:
	@scripts/ensure-deps.sh demo
	$(SWIFT) build $(SWIFTFLAGS)

release:
	@scripts/ensure-deps.sh demo
	$(SWIFT) build -c release $(SWIFTFLAGS)

demo: release
	.build/release/zmq-exporter demo $(DEMO_ARGS)

# Swift unit and socket tests, then the system tests (real binary, curl, promtool, prometheus, pyzmq).
test: deps
	$(SWIFT) build --build-tests $(SWIFTFLAGS)
	$(MAKE) test-swift test-system

test-swift:
	$(SWIFT) test --skip-build $(SWIFTFLAGS)

test-system:
	$(SWIFT) build --product zmq-exporter $(SWIFTFLAGS)
	ZMQ_EXPORTER_BIN=$(CURDIR)/.build/debug/zmq-exporter $(PYTEST) -q -p no:cacheprovider Tests/system

clean:
	rm -rf .build

# libFuzzer targets for the tap JSON scanner and the monitor-event decoder (FUZZ_SECONDS each).
fuzz-decoders:
	Fuzz/run.sh TapJSON MonitorEvent
