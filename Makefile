# Amphoe Sang Suk: `make run` starts everything, `make test` tests everything against real servers.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
SERVERS := python3 deploy/local/servers.py
SECRETS := var/secrets

# The run profile's servers (SANGSUK_KAFKA_PORT / SANGSUK_MONGO_PORT move them, as in servers.py).
export KAFKA_BOOTSTRAP ?= 127.0.0.1:$(or $(SANGSUK_KAFKA_PORT),9092)
# MONGO_URI set by you means a real MongoDB: then no local FerretDB (nor PostgreSQL) is started.
ifeq ($(origin MONGO_URI),undefined)
export MONGO_URI := mongodb://127.0.0.1:$(or $(SANGSUK_MONGO_PORT),27017)/
SERVER_FLAGS :=
else
SERVER_FLAGS := --no-mongo
export SANGSUK_NO_FERRETDB := 1
endif
export CHANNEL_KEYS_FILE ?= $(CURDIR)/$(SECRETS)/channel-keys.json
export VOTER_HMAC_SECRET_FILE ?= $(CURDIR)/$(SECRETS)/voter-hmac.key
# notify under make run: links signed with a dev secret, the centre's dev key, mail to the local mail server.
export NOTIFY_LINK_SECRET_FILE ?= $(CURDIR)/$(SECRETS)/notify-link.key
export CENTRAL_OFFICE_KEYS_FILE ?= $(CURDIR)/$(SECRETS)/central-office.key
export SMTP_HOST ?= 127.0.0.1
export SMTP_PORT ?= 8025
# The public address: QR codes and links are built from it (ingest refuses to start without it).
export PROXY_PORT ?= 8080
export PUBLIC_BASE_URL ?= http://127.0.0.1:$(PROXY_PORT)

.PHONY: run stop status restart test test-unit bench bench-ingest bench-scoring bench-ballots bench-ranking bench-site bench-pdpa lint servers \
	bench-topics bench-centre eval-topics train-topics \
	servers-stop init secrets venv clean browser postgresql nginx axe k8s-tools k8s-check k8s-rules k8s-schemas monitoring

$(VENV)/.installed: pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) is required"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

venv: $(VENV)/.installed

# Every local process runs under the profile's supervisord (the virtualenv's; deploy/local/supervision.py).
servers: venv $(if $(SERVER_FLAGS),,postgresql)  ## fetch (first time), start Kafka and, unless MONGO_URI points elsewhere, PostgreSQL + FerretDB
	$(SERVERS) start --profile run $(SERVER_FLAGS)

servers-stop:
	$(SERVERS) stop --profile run

secrets: venv
	@$(VENV)/bin/sangsuk dev-secrets --out $(SECRETS) >/dev/null

init: venv servers secrets
	$(VENV)/bin/sangsuk init

# The local stack's explicit development allowance: a developer's webhook receiver on this machine may be
# loaded and called (services/notify/targets.py). The dev directory itself is e-mail only; the tests and the
# cluster never inherit this (a target-specific variable of `run`).
run: export NOTIFY_WEBHOOK_ALLOW_PRIVATE = 1
# Idempotent: run it again and whatever is down (stopped, or given up on by supervisord) is started again.
run: init nginx monitoring  ## everything up under supervisord: servers, topics, indexes, registry, the dev directory, mail, services, the proxy, Prometheus, Alertmanager
	@$(VENV)/bin/sangsuk directory dev --out var/run/dev-directory.csv >/dev/null
	@echo "Services:"
	@$(PY) deploy/local/services.py start --python $(CURDIR)/$(PY)
	@echo "Kafka:     $(KAFKA_BOOTSTRAP)"
	@echo "Store:     $(MONGO_URI)"
	@echo "Dev channel keys: $(CHANNEL_KEYS_FILE)"
	@echo "API docs:  $(PUBLIC_BASE_URL)/openapi.json"
	@echo "Prometheus:   http://127.0.0.1:$(or $(SANGSUK_PROMETHEUS_PORT),9190)  (alerts, targets; rules in deploy/monitoring/rules/)"
	@echo "Alertmanager: http://127.0.0.1:$(or $(SANGSUK_ALERTMANAGER_PORT),9193)  (runbook: docs/runbook.md)"
	@echo "Centre:    curl -H \"Authorization: Bearer \$$(cat $(SECRETS)/central-office.key)\" localhost:8084/v1/alerts"
	@echo "Status:    make status (every program under supervisord; one restarted: make restart P=scoring-consumer)"
	@echo "Stop with: make stop"

stop:  ## every program of make run (services, mail, proxy, servers) and its supervisord
	$(SERVERS) stop --profile run

status:  ## every program's state under make run's supervisord; nonzero unless all are RUNNING
	@$(SERVERS) status --profile run

restart:  ## one program of make run by hand (supervisord restarts what dies on its own): make restart P=kafka
	@test -n "$(P)" || { echo "usage: make restart P=<program> (make status lists them)"; exit 2; }
	$(SERVERS) ctl restart $(P) --profile run

test: venv browser postgresql nginx axe k8s-tools monitoring  ## the whole suite against real servers (started and stopped here, pass or fail)
	@status=0; \
	  $(SERVERS) start --profile test && $(PY) -m pytest $(PYTEST_ARGS) || status=$$?; \
	  $(SERVERS) stop --profile test; exit $$status

postgresql:  ## Debian's PostgreSQL binaries (servers.py runs its own cluster under var/, never Debian's service)
	@ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || { SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq postgresql >/dev/null; }

axe:  ## axe-core for the browser tests: the pinned npm tarball into var/cache, checked against its sha512 integrity
	@python3 tests/support/axe.py >/dev/null

browser:  ## Debian's chromium for the browser tests (Playwright drives it; no browser download)
	@test -x /usr/bin/chromium || { SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

monitoring:  ## Debian's Prometheus (with promtool) and Alertmanager (with amtool); run as our own processes, never Debian's services
	@{ command -v promtool && command -v prometheus-alertmanager; } >/dev/null || { SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends \
	    prometheus prometheus-alertmanager >/dev/null; \
	  for unit in prometheus prometheus-alertmanager; do \
	    $$SUDO systemctl disable --now $$unit >/dev/null 2>&1 || $$SUDO service $$unit stop >/dev/null 2>&1 || true; done; }

nginx:  ## Debian's nginx for the buffering proxy in front of ingest (run as our own process, not the system's)
	@command -v nginx >/dev/null || test -x /usr/sbin/nginx || { SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq nginx >/dev/null; }

test-unit: venv k8s-tools
	$(PY) -m pytest tests/unit $(PYTEST_ARGS)

# Kubernetes (deploy/k8s, docs/kubernetes.md). The manifest checks run in `make test` (tests/unit/test_k8s_objects.py).
k8s-tools:  ## kustomize and kubeconform, pinned in deploy/k8s/tools/check.py, built from the Go module proxy into var/cache/tools
	@nice -n 19 python3 deploy/k8s/tools/check.py tools

k8s-check: k8s-tools  ## build each overlay and validate every object offline and strictly against deploy/k8s/schemas
	nice -n 19 python3 deploy/k8s/tools/check.py check

k8s-rules: venv  ## regenerate deploy/k8s/base/prometheusrule.yaml from deploy/monitoring/rules/sangsuk.rules.yml
	nice -n 19 $(PY) deploy/k8s/tools/generate_prometheusrule.py

k8s-schemas: venv  ## regenerate deploy/k8s/schemas from Kubernetes' OpenAPI spec and the operators' CRDs (network)
	nice -n 19 $(PY) deploy/k8s/tools/generate_schemas.py $(SCHEMA_SOURCES)

lint: venv
	$(VENV)/bin/ruff check .

bench: bench-ingest bench-scoring bench-ballots bench-ranking bench-site bench-pdpa bench-topics bench-centre

bench-ingest: venv postgresql secrets
	@status=0; $(SERVERS) start --profile test && $(PY) bench/ingest_bench.py || status=$$?; \
	  $(SERVERS) stop --profile test; exit $$status

bench-scoring: venv postgresql secrets
	@status=0; $(SERVERS) start --profile test && $(PY) bench/scoring_bench.py || status=$$?; \
	  $(SERVERS) stop --profile test; exit $$status

# What ballots.v1 costs (issue 18): scoring before/after (the commit before ballots, from a temporary worktree)
# and notify's vote-accepted-to-decided latency, fresh and aged (docs/events.md, "What ballots cost").
bench-ballots: venv postgresql secrets
	@status=0; $(SERVERS) start --profile test && $(PY) bench/ballots_bench.py || status=$$?; \
	  $(SERVERS) stop --profile test; exit $$status

bench-ranking: venv postgresql secrets
	@status=0; $(SERVERS) start --profile test && $(PY) bench/ranking_bench.py || status=$$?; \
	  $(SERVERS) stop --profile test; exit $$status

bench-pdpa: venv
	$(PY) bench/pdpa_bench.py

bench-centre: venv postgresql  ## the centre's view: comments tagged per second, searches and topic counts over 42,000 comments on an aged store
	@status=0; $(SERVERS) start --profile test && nice $(PY) bench/centre_bench.py || status=$$?; \
	  $(SERVERS) stop --profile test; exit $$status

bench-topics: venv  ## comments per second of the Thai topic tagger over 10,000 comments (docs/topics.md)
	nice $(PY) bench/topics_bench.py

train-topics: venv  ## retrain the topic tagger's model (shared/topics/model.json) from the development and training comments
	nice $(PY) -m shared.topics.train

eval-topics: venv  ## the topic tagger's micro-F1 and per-aspect precision/recall, development and held-out (docs/topics.md)
	$(PY) -m shared.cli topics eval

bench-site: venv postgresql secrets
	@status=0; $(SERVERS) start --profile test && $(PY) bench/site_bench.py || status=$$?; \
	  $(SERVERS) stop --profile test; exit $$status

clean: stop
	rm -rf var $(VENV)
