# portico: two commands do everything on a fresh machine.
#   make run   builds what is needed and starts portico on SQLite
#   make test  runs every check and test (PostgreSQL and Redis on 127.0.0.1),
#              including a few seconds of fuzzing per fuzz target and a
#              20-second chaos run
GO      ?= go
BIN     := bin/portico
GOFILES := $(shell git ls-files '*.go' 2>/dev/null | grep -v '_templ.go$$')
# Front-end projects: each directory with a package.json builds into its dist/.
FRONTENDS := $(patsubst %/package.json,%,$(wildcard admin-ui/package.json widget/package.json))

.PHONY: run build generate assets test go-test e2e lint bench chaos chaos-short fuzz fuzz-short clean

build: generate assets
	$(GO) build -o $(BIN) .

# npm ci only when the lock file changed since the last install.
assets:
	@for d in $(FRONTENDS); do \
	  if [ ! -f $$d/node_modules/.package-lock.json ] || [ $$d/package-lock.json -nt $$d/node_modules/.package-lock.json ]; then \
	    (cd $$d && npm ci --no-audit --no-fund) || exit 1; \
	  fi; \
	  (cd $$d && npm run build) || exit 1; \
	done

# templ components (views/) compile to committed _templ.go files.
generate:
	$(GO) tool templ generate -path . >/dev/null

run: build
	@mkdir -p data
	@base=$${PORTICO_BASE_URL:-http://localhost:8080}; addr=$${PORTICO_ADDR:-:8080}; \
	echo "portico starting on SQLite (data/portico.db unless PORTICO_DATABASE_URL says otherwise)"; \
	echo "  admin      : $$base/admin   (no admin yet? open the one-time set-up link portico prints below)"; \
	echo "  widget API : $$base/support/widget/tickets   (config: $$base/support/widget/config)"; \
	echo "  admin API  : $$base/support/admin/settings/public-tickets"; \
	echo "  health     : $$base/healthz"; \
	if [ -n "$$PORTICO_METRICS_ADDR" ]; then echo "  metrics    : http://$$PORTICO_METRICS_ADDR/metrics"; \
	elif [ -n "$$PORTICO_METRICS_TOKEN" ]; then echo "  metrics    : $$base/metrics   (Authorization: Bearer \$$PORTICO_METRICS_TOKEN)"; \
	else echo "  metrics    : http://127.0.0.1:$${addr##*:}/metrics   (from this machine only; set PORTICO_METRICS_TOKEN or PORTICO_METRICS_ADDR)"; fi
	./$(BIN)

lint:
	@out=$$(gofmt -l $(GOFILES)); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool staticcheck ./...

test: lint build go-test fuzz-short chaos-short e2e

go-test:
	$(GO) test -race -count=1 -timeout 30m ./...

# Browser tests (playwright-core driving Debian's /usr/bin/chromium) against
# the built binary; each front-end project runs its own.
e2e: build
	@for d in $(FRONTENDS); do (cd $$d && npm run --if-present test && npm run --if-present e2e) || exit 1; done

# BENCH_ARGS are passed to the benchmark (flags in docs/PERFORMANCE.md), e.g.
#   make bench BENCH_ARGS='-baseline-ref main -markdown docs/PERFORMANCE.md'
BENCH_ARGS ?=
bench:
	$(GO) run ./bench $(BENCH_ARGS)

# Faults as figures (issue 18, docs/RELIABILITY.md): a steady load for
# CHAOS_DURATION while the server is killed three times, PostgreSQL restarts
# and SMTP, Redis and GitHub fail, on a PostgreSQL cluster and a Redis of
# the run's own (initdb, pg_ctl, redis-server). It fails on anything
# accepted and lost, any mail or GitHub post missing or there twice.
# `make chaos` runs the full minute and writes the figures into
# docs/RELIABILITY.md; chaos-short, part of `make test`, the same faults
# compressed into 20 s (about a minute in all).
CHAOS_DURATION ?= 60s
CHAOS_ARGS ?= -markdown docs/RELIABILITY.md
chaos:
	$(GO) run ./bench/chaos -duration $(CHAOS_DURATION) $(CHAOS_ARGS)

chaos-short:
	$(GO) run ./bench/chaos -duration 20s

# Fuzzing: every Fuzz* target in the repository (.ci/fuzz finds them with
# go test -list, so a new target needs no edit here). The seed corpora and
# the inputs committed under testdata/fuzz/ run in go-test; fuzz-short, part
# of `make test`, then fuzzes each target for FUZZTIME_SHORT (3s: the 10
# targets take 1.5 minutes on 2 busy cores); `make fuzz` for FUZZTIME (30s). A
# failing input is kept in the package's testdata/fuzz/<Target>/, its path
# and content are printed and the target fails; commit it and it runs as a
# regression test in go-test from then on.
FUZZTIME ?= 30s
FUZZTIME_SHORT ?= 3s
fuzz:
	@GO=$(GO) .ci/fuzz $(FUZZTIME)

fuzz-short:
	@GO=$(GO) .ci/fuzz $(FUZZTIME_SHORT)

clean:
	rm -rf bin
