# portico: two commands do everything on a fresh machine.
#   make run   builds what is needed and starts portico on SQLite
#   make test  runs every check and test (PostgreSQL and Redis on 127.0.0.1)
GO      ?= go
BIN     := bin/portico
GOFILES := $(shell git ls-files '*.go' 2>/dev/null | grep -v '_templ.go$$')
# Front-end projects: each directory with a package.json builds into its dist/.
FRONTENDS := $(patsubst %/package.json,%,$(wildcard admin-ui/package.json widget/package.json))

.PHONY: run build generate assets test go-test e2e lint bench fuzz clean

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

test: lint build go-test e2e

go-test:
	$(GO) test -race -count=1 ./...

# Browser tests (playwright-core driving Debian's /usr/bin/chromium) against
# the built binary; each front-end project runs its own.
e2e: build
	@for d in $(FRONTENDS); do (cd $$d && npm run --if-present test && npm run --if-present e2e) || exit 1; done

bench:
	$(GO) run ./bench

# Fuzzing: every Fuzz* target in the repository, FUZZTIME each (default 30s).
# The seed corpora (and testdata/fuzz) already run in `make test`; this runs
# the fuzzer itself. A failing input is saved under the package's
# testdata/fuzz/ and fails the target.
FUZZTIME ?= 30s
fuzz:
	@list=$$($(GO) test -list 'Fuzz.*' ./...) || { echo "$$list"; exit 1; }; \
	targets=$$(echo "$$list" | awk '/^Fuzz/ { f[n++] = $$1; next } /^ok/ { for (i = 0; i < n; i++) print $$2 "," f[i]; n = 0 }'); \
	for t in $$targets; do \
	  pkg=$${t%,*}; name=$${t#*,}; \
	  echo "== $$name ($$pkg, $(FUZZTIME))"; \
	  $(GO) test -run '^$$' -fuzz "^$$name$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	done

clean:
	rm -rf bin
