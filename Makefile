# The verbs of this repo. Every target installs what it needs on a fresh machine.
#   make setup      .venv/ with every Python package (editable), node_modules, Go modules
#   make generate   regenerate every SDK from openapi.yaml
#   make serve      run the mock server on http://localhost:8080
#   make test       every test suite (what CI runs)

SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PYTEST := $(VENV)/bin/pytest
STAMP := $(VENV)/.installed
PYTHON ?= python3

.PHONY: setup generate check serve test test-spec test-mock test-schemathesis test-generator \
        test-python test-typescript test-go conformance vendor-sdk bench clean

setup: $(STAMP)

$(STAMP): requirements-dev.txt generator/pyproject.toml conformance-tests/pyproject.toml python-sdk/pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	$(PY) -m pip install -q -e ./generator -e ./conformance-tests -e ./python-sdk
	touch $@

generate: setup
	$(VENV)/bin/sdkgen generate-all --spec openapi.yaml

check: setup
	$(VENV)/bin/sdkgen check --spec openapi.yaml

serve: setup
	$(VENV)/bin/promptrails-mock --host 127.0.0.1 --port 8080

test: setup lint test-spec test-mock test-schemathesis test-generator test-python test-typescript test-go conformance

test-spec: setup
	$(PYTEST) -q conformance-tests/tests/test_openapi_document.py

test-mock: setup
	$(PYTEST) -q -n 2 conformance-tests/tests --ignore=conformance-tests/tests/test_openapi_document.py

test-schemathesis: setup
	bash conformance-tests/scripts/schemathesis.sh

test-generator: setup
	$(PYTEST) -q -n 2 generator/tests
	$(VENV)/bin/sdkgen check --spec openapi.yaml

test-python: setup
	$(PYTEST) -q -n 2 python-sdk/tests
	cd python-sdk && ../$(VENV)/bin/mypy --strict src/promptrails

test-typescript: setup
	cd typescript-sdk && npm ci --no-audit --no-fund && \
	  PROMPTRAILS_MOCK_CMD="$(CURDIR)/$(VENV)/bin/promptrails-mock --port 0 --db :memory: --control" npm test

test-go: setup
	cd go-sdk && go vet ./... && test -z "$$(gofmt -l .)" \
		&& PROMPTRAILS_MOCK_CMD="../$(VENV)/bin/promptrails-mock --control" go test -count=1 ./... \
		&& go test ./internal/sse -run '^$$' -fuzz=FuzzParser -fuzztime=10s -fuzzminimizetime=100x

conformance: setup vendor-sdk
	$(PYTEST) -q -rfE -n 2 conformance-tests/harness

vendor-sdk:
	$(PYTHON) conformance-tests/drivers/vendor-python/setup_venv.py

# The performance report (bench/README.md): every row of issue 14's targets, ratios measured in
# one run; exits 1 when a target is missed. BENCH_ARGS="--only mock" runs one part.
bench: setup
	$(PY) bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) typescript-sdk/node_modules reports conformance-tests/drivers/vendor-python/.venv

# The maintainer's loop (docs/maintainers.md). BASE: the revision the spec is compared with.
BASE ?= origin/main
.PHONY: diff release ci-local

diff: setup
	$(VENV)/bin/sdkgen diff --base $(BASE) --spec openapi.yaml --format text

release: setup
	$(VENV)/bin/sdkgen release --base $(BASE) --spec openapi.yaml

# What .github/workflows/sdk.yml runs on a pull request: the report (reports/sdk-diff.md,
# .json), the version and changelogs, no drift; then the conformance suite, even when the
# first step failed (the target still fails).
ci-local: setup
	$(VENV)/bin/sdkgen ci --base $(BASE) --spec openapi.yaml --reports reports; status=$$?; \
	  $(MAKE) conformance && exit $$status

# The Go linters, pinned (go run fetches them through the module proxy): staticcheck, and
# revive with its exported rule, on the Go SDK and the Go conformance driver.
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
REVIVE := github.com/mgechev/revive@v1.15.0
.PHONY: lint-go
lint-go: setup
	cd go-sdk && go vet ./... && test -z "$$(gofmt -l .)" && go run $(STATICCHECK) ./... \
		&& go run $(REVIVE) -config revive.toml ./...
	cd conformance-tests/drivers/go && go vet ./... && test -z "$$(gofmt -l .)" && go run $(STATICCHECK) ./... \
		&& go run $(REVIVE) -config ../../../go-sdk/revive.toml ./...

# Python: ruff (syntax errors and pyflakes: undefined names, unused imports) on every Python tree,
# generated SDK code included; mypy --strict on the mock server and the generator (its runtime
# folders are copied into the SDKs and checked there: make test-python runs mypy on the SDK).
.PHONY: lint lint-python
lint: lint-python lint-ts lint-go

lint-python: setup
	$(VENV)/bin/ruff check --isolated --select E9,F generator/src conformance-tests bench python-sdk
	$(VENV)/bin/mypy --strict conformance-tests/src/promptrails_mock
	$(VENV)/bin/mypy --strict generator/src/sdkgen --exclude 'sdkgen/targets/[a-z]+/runtime/'

# TypeScript: the SDK and its tests type-check strictly, and the package passes arethetypeswrong
# (which packs it as npm would, building it through `prepack`).
.PHONY: lint-ts
lint-ts: setup
	cd typescript-sdk && npm ci --no-audit --no-fund && npx tsc -p tsconfig.json --noEmit \
	  && npm run check:types && npx tsc -p tsconfig.test.json --noEmit
