# imgstream — thin targets over the go command. `make help` lists them.

GO        ?= go
# Fuzzing runs a count of inputs per target, not a duration: with a duration,
# Go's fuzzing coordinator up to 1.26 can fail a target that found nothing
# ("context deadline exceeded", golang/go#75804) when its deadline falls while
# a worker minimizes a new input. A count sets no deadline.
FUZZTIME  ?= 200000x
FUZZMINIMIZETIME ?= 5s
BENCHTIME ?= 1s
COUNT     ?= 6
# Go modules in this repository besides the root one (each has its own go.mod;
# go.work joins them for development).
SUBMODULES := $(patsubst %/go.mod,%,$(wildcard */go.mod */*/go.mod))
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
# The modules that import NATS, whose current releases need go 1.26; every
# other module, the library first, stays at go 1.25.
NATS_MODULES := natsbus natsbus/server cmd/imgstream

ADDR ?= 127.0.0.1:8080

.PHONY: run help test test-386 lint bench fuzz fmt-check vet tidy-check tidy e2e release release-check

# make run builds the CLI without the NATS server that publish embeds
# (-tags nonatsserver), without cgo, which it does not use, and without
# debug information: the server is 40% of a cold build's CPU time (28 MB of
# binary with it, 15 MB without), and serve does not need it. go run -v
# lists each package as it compiles, so a first, cold build is not silent.
RUNFLAGS ?= -tags nonatsserver -gcflags=all=-dwarf=false -ldflags=-w
run: ## serve the bundled sample recording at http://$(ADDR)/ (Ctrl-C stops)
	@echo "make run: building imgstream (the CLI without publish's embedded NATS server; about a minute the first time on 2 cores, seconds after), then serving testdata/sample.omv at http://$(ADDR)/"
	CGO_ENABLED=0 $(GO) run -v $(RUNFLAGS) ./cmd/imgstream serve --listen $(ADDR) testdata/sample.omv

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

test: fmt-check vet tidy-check ## gofmt, vet, tidy, race tests (every module), 32-bit tests, benchmarks once
	@# Every step runs, and the failed ones are listed at the end, so that
	@# one failing module does not hide the state of the others.
	@# The race detector's children start slowly, so the shm tests that race
	@# hundreds of processes run again without it, at full count; and faults
	@# on a shrunk mapping cannot be caught inside its atomics at all.
	@# "without the workspace" is the library as its users get it. Every
	@# module's go mod tidy ran in tidy-check, before.
	@failed=; step() { name=$$1; shift; echo "== $$name"; "$$@" || failed="$$failed  $$name\n"; }; \
	step "race tests" $(GO) test -race -count=1 ./...; \
	step "shm without the race detector" $(GO) test -count=1 -run 'ExactlyOneWriterWins|Stress|Truncate' ./shm; \
	for m in $(SUBMODULES); do \
	  step "module $$m" sh -c "cd $$m && $(GO) vet ./... && $(GO) test -race -count=1 ./... && $(GO) test -run '^\$$' -bench . -benchtime 1x ./... > /dev/null"; \
	done; \
	step "without the workspace" sh -c "GOWORK=off $(GO) vet ./... && GOWORK=off $(GO) test -count=1 -short ./..."; \
	step "32-bit" $(MAKE) --no-print-directory test-386; \
	step "benchmarks once" sh -c "$(GO) test -run '^\$$' -bench . -benchtime 1x ./... > /dev/null"; \
	if [ -n "$$failed" ]; then printf 'make test: these steps failed:\n%b' "$$failed"; exit 1; fi

test-386: ## the tests on 32-bit x86, as on 32-bit boards that read OMV files; where the host cannot run 386 binaries, a note and a 386 vet only
	@# Probe first: a host without 32-bit x86 support (arm64, macOS, a
	@# kernel without IA32 emulation) fails every test with "exec format
	@# error", which says nothing about the code.
	@d=$$(mktemp -d); trap 'rm -rf "$$d"' EXIT; \
	printf 'package main\n\nfunc main() {}\n' > "$$d/probe.go"; \
	if ! (cd "$$d" && GOWORK=off GOARCH=386 $(GO) build -o probe probe.go) >"$$d/log" 2>&1; then \
	  echo "test-386: skipped: the toolchain cannot build for 386 here:"; sed 's/^/  /' "$$d/log"; \
	elif ! "$$d/probe" >"$$d/log" 2>&1; then \
	  echo "test-386: skipped: this host cannot run a 386 binary:"; sed 's/^/  /' "$$d/log"; \
	  echo "test-386: vetting for 386 instead, which compiles every package and test: GOARCH=386 $(GO) vet ./..."; \
	  GOARCH=386 $(GO) vet ./...; \
	else \
	  echo "GOARCH=386 $(GO) test -count=1 -short ./..."; GOARCH=386 $(GO) test -count=1 -short ./...; \
	fi

fmt-check: ## fail if gofmt would change a file
	@out=$$(gofmt -l .); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet: ## go vet
	$(GO) vet ./...

# Each module requires the others at their next release (v0.1.0 before the
# first), which no proxy serves until it is tagged, and go.work joins the
# working trees for development (it replaces that version by the directories,
# since a workspace module does not stand in for a required version's
# go.mod). So go mod tidy, which ignores go.work, cannot run in a module as it
# is: modproxy tidy runs it on a copy of each module's go.mod that replaces
# our other modules by their directories, and a copy of its go.sum without
# the lines for our modules, and then compares (-diff) or writes back only
# the third-party lines. The go.sum lines for our modules are those of the
# last release, written by `make release`, and do not change at every commit.
# Nothing of ours is fetched; third-party modules come as go mod tidy gets
# them (the module cache, then GOPROXY).
tidy-check: ## fail if a module's go.mod or go.sum is not tidy, if go.work does not join the modules at the version they require, or if a module's go directive moved: 1.25, and 1.26 only where NATS needs it
	$(GO) run ./internal/modproxy tidy -diff
	@for m in . $(SUBMODULES); do \
	  want='1\.25'; case " $(NATS_MODULES) " in *" $$m "*) want='1\.26';; esac; \
	  grep -Eq "^go $$want(\.[0-9]+)?$$" $$m/go.mod || { echo "$$m/go.mod: the go directive must be $$want (DESIGN.md; 1.26 only for the modules that import NATS)"; exit 1; }; \
	done

tidy: ## go mod tidy in every module, as tidy-check checks it (after adding or removing a dependency)
	$(GO) run ./internal/modproxy tidy

# The release check tags the last commit in a temporary clone as `make
# release` and the README's "Releasing" say, serves the tags from a module
# proxy on disk, and then, as a user in a clean GOPATH with no network,
# runs go install of the command and go get of each module in a new module
# that imports its packages, builds and runs it. VERSION defaults to the
# version the modules require, or the next minor one once that is tagged.
release-check: ## check that a release of the last commit installs and builds for a user (go install, go get), offline
	$(GO) run ./internal/modproxy check $(VERSION)

release: ## make this tree the release VERSION (e.g. VERSION=v0.1.0): every module requires the others at it, go.sum updated; prints the tags to push
	@test -n "$(VERSION)" || { echo "make release: give VERSION, e.g. make release VERSION=v0.1.0"; exit 2; }
	$(GO) run ./internal/modproxy release $(VERSION)

lint: ## staticcheck on every module
	$(GO) run $(STATICCHECK) ./...
	@for m in $(SUBMODULES); do (cd $$m && $(GO) run $(STATICCHECK) ./...) || exit 1; done

bench: ## benchmarks beside their limits and peers (bench/), with medians and ratios
	$(GO) test -run '^$$' -bench . -benchtime $(BENCHTIME) -count $(COUNT) ./... | tee bench.out | $(GO) run ./internal/benchratio
	cd bench && $(GO) test -run '^$$' -bench . -benchtime $(BENCHTIME) -count $(COUNT) ./... | tee bench.out | $(GO) run ../internal/benchratio

fuzz: ## each fuzz target for FUZZTIME
	@for pkg in $$($(GO) list ./... ./natsbus/...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZETIME) $$pkg || exit 1; \
	  done; \
	done

e2e: ## end-to-end checks with real clients: ffmpeg/ffprobe, OpenCV (python3-opencv), VLC, headless Chromium, Motion
	$(GO) test -count=1 -tags e2e -run E2E -v ./...
	cd cmd/imgstream && $(GO) test -count=1 -tags e2e -run E2E -v ./...
	@# The command line against RTSP cameras: an RTSP server in the test, fed by ffmpeg.
	cd rtsp && $(GO) test -count=1 -tags e2e -run E2E -v ./...
	@# The player in headless Chromium; IMGSTREAM_SCREENSHOT=docs/player.png and
	@# IMGSTREAM_TIMELINE_SCREENSHOT=docs/timeline.png renew the README's pictures.
	cd e2e && $(GO) test -count=1 -tags e2e -run E2E -v ./...
	@# Against Motion, test-sized (22 s): imgstream record --config keeps
	@# every frame of 4 emulated cameras, and every event of 4 others with
	@# its 10 s before; Motion records 2. The full comparison is
	@# bench/motioncmp_test.go's TestAgainstMotion (see the README).
	cd bench && $(GO) test -count=1 -tags e2e -run E2E -v ./...
