# Two commands: `make run` serves the IdP on http://127.0.0.1:5000, `make test` runs the suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
WORKERS ?= 2
# gthread keeps connections alive; the sync worker closes each one (docs/architecture.md, "Performance":
# about 1.3x the sync worker's requests/s on one core for /healthz, signed IAM calls and AssumeRole).
WORKER_CLASS ?= --worker-class gthread --threads 4 --keep-alive 5

.PHONY: run test lint bootstrap bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.runtime $@

bootstrap: $(VENV)/.runtime
	$(BIN)/flask --app app idp bootstrap

run: bootstrap
	@echo "Serving http://$(HOST):$(PORT)  (issuer $${IDP_ISSUER:-http://127.0.0.1:5000})"
	PROMETHEUS_MULTIPROC_DIR=$${PROMETHEUS_MULTIPROC_DIR:-$(CURDIR)/instance/prometheus} \
	$(BIN)/gunicorn --bind $(HOST):$(PORT) --workers $(WORKERS) $(WORKER_CLASS) \
		--logger-class idp.logs.gunicorn_logger.Logger app:app

# Browser tests drive Debian's Chromium through Playwright; never a downloaded browser.
CHROMIUM := /usr/bin/chromium

$(CHROMIUM):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

# openid-client (the certified RP the OIDC tests drive) runs on Debian's Node.js.
NODE := /usr/bin/node

$(NODE):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm

# The LDAP sign-in tests start Debian's slapd; the SAML tests' identity provider signs with Debian's xmlsec1.
SLAPD := /usr/sbin/slapd
XMLSEC1 := /usr/bin/xmlsec1

$(SLAPD):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slapd ldap-utils

$(XMLSEC1):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq xmlsec1

WRK := /usr/bin/wrk

$(WRK):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk

# One xdist worker more than there are cores: a third of the CPU sat idle with one per core (tests wait on
# live servers, subprocesses and PostgreSQL).
TEST_WORKERS ?= $(shell echo $$(( $$(nproc) + 1 )))

test: $(VENV)/.dev | $(CHROMIUM) $(NODE) $(SLAPD) $(XMLSEC1)
	$(BIN)/pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(BIN)/ruff check --select F,E9 idp models tests bench tools
	$(BIN)/python tools/check_layers.py

bench: $(VENV)/.dev | $(NODE) $(WRK)
	$(BIN)/python bench/policy_eval.py
	$(BIN)/python bench/sigv4_verify.py
	$(BIN)/python bench/iam_api.py
	$(BIN)/python bench/authorizer.py
	$(BIN)/python bench/assume_role.py
	$(BIN)/python bench/login.py
	$(BIN)/python bench/token_endpoint.py
	$(BIN)/python bench/metrics_overhead.py
	$(BIN)/python bench/audit_lookup.py
	$(BIN)/python bench/scale.py
	$(BIN)/python bench/soak.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
