# Tripline — every entry point a newcomer needs. `make demo` and `make test` are the two that matter.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# Node >= 22.19 (fetched into ~/.cache/tripline when the system node is older; see hack/ensure-node.sh).
NODE_BIN := $(shell hack/ensure-node.sh)
ifeq ($(NODE_BIN),)
$(error could not find or fetch Node >= 22.19; see the messages above)
endif
export PATH := $(NODE_BIN):$(PATH)

.PHONY: help
help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

.PHONY: deps
deps: node_modules/.installed ## Install npm dependencies (npm ci)

.PHONY: build
build: deps ## Compile TypeScript to dist/
	npx tsc -p tsconfig.json

.PHONY: controlplane
controlplane: ## Build (once, cached) kube-apiserver, kubectl and etcd from the Go module proxy
	@hack/build-control-plane.sh >/dev/null

.PHONY: packages
packages: ## Install the Debian packages the e2e tests run for real (nginx, Alertmanager) when missing
	@hack/ensure-debian-packages.sh

.PHONY: typecheck
typecheck: deps ## tsc --noEmit
	npx tsc -p tsconfig.json --noEmit

.PHONY: lint
lint: deps ## Lint and format check (biome)
	npx biome check .

.PHONY: gen
gen: build ## Regenerate src/api/generated from crds/
	node dist/hack/gen-types.js

.PHONY: gen-check
gen-check: build ## Fail when src/api/generated drifted from crds/
	node dist/hack/gen-types.js --check

.PHONY: layers
layers: build ## Fail on a cycle of files (madge) or an import of a folder from a higher layer (hack/check-layers.ts)
	npx madge --circular --extensions ts --ts-config tsconfig.json src
	node dist/hack/check-layers.js

.PHONY: audit
audit: deps ## npm audit of runtime dependencies (needs the registry audit endpoint)
	npm audit --omit=dev

.PHONY: test-unit
test-unit: build ## Unit tests (pure logic)
	npx mocha --config test/.mocharc.unit.json

.PHONY: test-e2e
test-e2e: build controlplane packages ## End-to-end tests against a real local kube-apiserver + etcd
	npx mocha --config test/.mocharc.e2e.json

.PHONY: test
test: typecheck lint gen-check docs-check layers test-unit test-e2e ## Everything CI runs

.PHONY: demo
demo: build controlplane ## Local control plane + operator + sample objects; Ctrl-C stops everything
	node dist/hack/demo.js

.PHONY: bench
bench: build controlplane ## Benchmarks (docs/performance.md); writes .bench/, or the tracked bench-results/ with RECORD=1
	node dist/test/bench/run.js $(if $(RECORD),--record) $(BENCH_ARGS)

.PHONY: docs
docs: build ## Regenerate the marked blocks of README.md and docs/ from the code and bench-results/
	node dist/hack/gen-docs.js

.PHONY: docs-check
docs-check: build ## Fail when a generated block of README.md or docs/ drifted from the code or bench-results/
	node dist/hack/gen-docs.js --check

.PHONY: clean
clean: ## Remove build output (the control-plane cache in ~/.cache/tripline stays)
	rm -rf dist
