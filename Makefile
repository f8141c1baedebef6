# Two commands on a fresh Debian 12 machine: `make demo` (the main job on the sample data) and `make test`.
.PHONY: deps demo test build clean

deps:
	scripts/install-deps.sh

build: deps
	swift build -c release

demo: deps
	scripts/demo.sh

# Release build with testing enabled: the numeric code is 10-100x slower in debug builds.
test: deps
	swift test -c release -Xswiftc -enable-testing --disable-xctest

clean:
	rm -rf .build out sample-data/staged
