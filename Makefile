# portico: two commands do everything on a fresh machine.
#   make run   builds what is needed and starts portico on SQLite
#   make test  runs every check and test (PostgreSQL and Redis on 127.0.0.1)
GO      ?= go
BIN     := bin/portico
GOFILES := $(shell git ls-files '*.go' 2>/dev/null | grep -v '_templ.go$$')

.PHONY: run build generate test lint bench clean

build: generate
	$(GO) build -o $(BIN) .

# templ components (views/) compile to committed _templ.go files.
generate:
	$(GO) tool templ generate -path . >/dev/null

run: build
	@mkdir -p data
	@base=$${PORTICO_BASE_URL:-http://localhost:8080}; \
	echo "portico starting on SQLite (data/portico.db unless PORTICO_DATABASE_URL says otherwise)"; \
	echo "  widget API : $$base/support/widget/tickets   (config: $$base/support/widget/config)"; \
	echo "  admin API  : $$base/support/admin/settings/public-tickets"; \
	echo "  health     : $$base/healthz   metrics: $$base/metrics"
	./$(BIN)

lint:
	@out=$$(gofmt -l $(GOFILES)); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool staticcheck ./...

test: lint
	$(GO) test -race -count=1 ./...

bench:
	$(GO) run ./bench

clean:
	rm -rf bin
