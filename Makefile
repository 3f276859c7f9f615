# Reproducible builds of retrollama. Go itself is the only requirement.
#
#   make p2      the Pentium II build: static linux/386, x87 + MMX kernels, no SSE
#   make native  this machine's build
#   make test    the README's test command
#   make p2-speed  estimated Pentium II speed from instruction counts (~10 min)

GO       ?= go
DIST     ?= dist
LDFLAGS  := -s -w
# -trimpath and a fixed build ID keep the bytes independent of the checkout path.
GOFLAGS_BUILD := -trimpath -buildvcs=false -ldflags='$(LDFLAGS) -buildid='

.PHONY: all p2 p2-speed native test clean

all: native p2

# GO386=softfloat: the Go compiler must not emit SSE2 for float math (the
# Pentium II has none); the hot loops run in the x87/MMX assembly kernels.
p2:
	CGO_ENABLED=0 GOOS=linux GOARCH=386 GO386=softfloat \
		$(GO) build $(GOFLAGS_BUILD) -o $(DIST)/retrollama-p2 ./cmd/retrollama
	@ls -l $(DIST)/retrollama-p2 | awk '{print $$5 " bytes  " $$9}'

p2-speed: p2
	scripts/p2speed.sh

native:
	CGO_ENABLED=0 $(GO) build $(GOFLAGS_BUILD) -o $(DIST)/retrollama ./cmd/retrollama

test:
	$(GO) test -race ./...

clean:
	rm -rf $(DIST)
