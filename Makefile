# Sunsu Chat Platform — every command a developer needs. Servers run on 127.0.0.1 with non-default ports;
# data and logs live under .run/, downloaded/built tools under ~/.cache/sunsu/.
SHELL := /bin/bash
.DEFAULT_GOAL := help
NODE_BIN := $(shell bash infra/node.sh 2>/dev/null)
export PATH := $(if $(NODE_BIN),$(NODE_BIN):)$(PATH)

.PHONY: help up down test status logs deps servers servers-down provision typecheck lint test-unit test-integration test-e2e clean bench bench-sweep bench-quiet bench-idle bench-rooms bench-soak dead-letters replay-dead-letters

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

up: ## provision and start every server and service, print the chat page URL
	@bash infra/up.sh

down: ## stop every service and server started by this project
	@bash infra/down.sh

test: ## start what the tests need, run every suite (types, lint, unit, integration, e2e), stop it again
	@bash infra/test.sh

status: ## show which servers and services are running
	@bash infra/servers.sh status; bash infra/services.sh status

logs: ## follow every log under .run/logs
	@tail -n 20 -F .run/logs/*.log

deps: ## install Node 24 (if missing) and the npm workspace
	@bash infra/deps.sh

servers: ## start Redis, Postgres, FerretDB and Kafka only
	@bash infra/servers.sh start

servers-down: ## stop the backing servers
	@bash infra/servers.sh stop

provision: ## apply Postgres migrations and create Kafka topics (idempotent)
	@CHAT_FERRETDB_BACKEND_URL=$${CHAT_FERRETDB_BACKEND_URL:-postgres://postgres@127.0.0.1:15432/ferretdb} node scripts/provision.ts

typecheck: ## tsc --noEmit over the whole workspace
	@npx tsc -p tsconfig.json --noEmit

lint: ## eslint and the import-cycle check
	@npm run -s lint

test-unit: ## unit tests only (no servers needed)
	@npm run -s test:unit

test-integration: ## integration tests against running servers (make servers provision first)
	@npm run -s test:integration

test-e2e: ## Playwright against a running platform (E2E_BASE_URL, default http://127.0.0.1:8080)
	@cd e2e && npx playwright test --config playwright.config.ts

clean: down ## stop everything and delete .run/ (data and logs)
	@rm -rf .run

bench: ## load benchmark against `make up`: 1,000 STOMP connections, 1,000 msg/s, 30 s (override BENCH_ARGS)
	@node bench/src/load.ts $(or $(BENCH_ARGS),--connections 1000 --rate 1000 --duration 30)

# A variable, not $(or …): commas would split the default into separate arguments of `or`.
RATES ?= 500,1000,2000,3000,5000,7500
bench-sweep: ## rate sweep: highest rate with 0 loss and p99 < 250 ms (RATES=…)
	@node bench/src/load.ts --connections 1000 --sweep $(RATES) --duration 15

bench-rooms: ## room-list benchmark: GET /api/chat/rooms warm and after Redis lost the room state (20 users × 50 rooms)
	@node bench/src/room-list.ts $(BENCH_ARGS)

bench-soak: ## soak against `make up`: 15 min at 100 msg/s with 20 churned connections/s; RSS and registry sizes must stay flat
	@node bench/src/soak.ts $(or $(BENCH_ARGS),--duration 900 --rate 100 --pairs 100 --churn 20)

bench-quiet: ## CPU of every process for 60 s with no clients at all
	@node bench/src/load.ts --quiet-cpu 60

bench-idle: ## memory per idle authenticated STOMP connection (15,000 connections, one subscription each)
	@ulimit -n 20000 && node bench/src/load.ts --idle $(or $(CONNECTIONS),15000)

dead-letters: ## list dead letters of every *.DLT topic (TOPIC=<name>.DLT for one, LIMIT=N lines per topic)
	@node scripts/dead-letters.ts list $(if $(TOPIC),--topic '$(TOPIC)') $(if $(LIMIT),--limit '$(LIMIT)')

replay-dead-letters: ## replay pending dead letters of TOPIC=<name>.DLT to their source topic (LIMIT=N, DRY_RUN=1)
	@if [ -z '$(TOPIC)' ]; then echo 'usage: make replay-dead-letters TOPIC=<name>.DLT [LIMIT=N] [DRY_RUN=1]' >&2; exit 2; fi
	@node scripts/dead-letters.ts replay --topic '$(TOPIC)' $(if $(LIMIT),--limit '$(LIMIT)') $(if $(DRY_RUN),--dry-run)

# ── Kubernetes: ChatCluster operator, charts (see README "Operator and Helm charts") ──────────────────────────────
.PHONY: cluster-up cluster-down cluster-demo cluster-demo-down cluster-e2e images operator-crd operator-demo operator-demo-down kind-e2e

cluster-up: ## real single-node Kubernetes (control plane, containerd, kubelet, kube-proxy, CoreDNS; KWOK node for fast tests); kubeconfig in .run/kubeconfig
	@bash infra/cluster.sh start

cluster-down: ## stop the cluster and leave the machine as it was (iptables, bridge, mounts, cgroups, sysctls)
	@bash infra/cluster.sh stop

images: ## build the four images from ./Dockerfile with buildah (tagged by content hash; cached in ~/.cache/sunsu/images)
	@bash infra/images.sh build

cluster-demo: ## the platform on the real node: images, Traefik ingress, both charts, ChatCluster Ready; prints the URL
	@bash infra/cluster-e2e.sh up

cluster-demo-down: ## uninstall the demo releases and check nothing is left (the cluster keeps running)
	@bash infra/cluster-e2e.sh down

cluster-e2e: ## cluster-demo, then helm test, Playwright through the ingress, failover tests, checked uninstall
	@bash infra/cluster-e2e.sh all

operator-crd: ## regenerate charts/chat-operator/crds/ from operator/src/api/crd.ts
	@node operator/src/api/gen-crd.ts

operator-demo: ## control plane up, install both charts, run the operator, show `kubectl get chatclusters` Ready
	@bash infra/operator-demo.sh start

operator-demo-down: ## stop the demo's operator and uninstall the demo releases (the control plane keeps running)
	@bash infra/operator-demo.sh stop

kind-e2e: ## build images, kind cluster, install charts, wait for Ready (needs Docker + kind; cannot run on the dev machines)
	@bash infra/kind-e2e.sh
