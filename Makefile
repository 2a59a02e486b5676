# The two commands: `make run` (set up, serve the API and the reconciler on SQLite with the
# simulated cloud) and `make test` (set up, lint, type-check and run every test).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export VERTICE_HOME ?= $(CURDIR)/var
export PIP_DISABLE_PIP_VERSION_CHECK := 1
PLUGINS := $(wildcard plugins/*/pyproject.toml)
PLUGIN_DIRS := $(patsubst %/pyproject.toml,%,$(PLUGINS))
PLUGIN_PACKAGES := $(patsubst %/__init__.py,%,$(wildcard plugins/*/vertice_driver_*/__init__.py plugins/*/vertice_router_*/__init__.py))
# The tests' peers that are packages of their own beside a plugin's tests (not in its wheel).
TEST_PEERS := $(patsubst %/__init__.py,%,$(wildcard plugins/*/tests/*_peer/__init__.py))
STAMP := $(VENV)/.installed
# Where `make run` serves: `make run PORT=9000`.
PORT ?= 8080

.PHONY: install run test lint typecheck pytest postgres system-packages base-images app-images bench bench-quick clean help

help:
	@echo "make run      set up and serve the API + reconciler on 127.0.0.1:8080 (SQLite, sim cloud; PORT=9000 for another port)"
	@echo "make test     set up and run ruff, mypy, import contracts and the whole test suite"
	@echo "make install  create .venv and install the core, its test harness and every plugin (editable)"
	@echo "make base-images  make the docker builders' base images (DOCKER_BASE_URL=unix:///...)"
	@echo "make app-images   make the one-click catalog's images (DOCKER_BASE_URL=unix:///...)"
	@echo "make bench    run the benchmarks at full size (make bench-quick: a tenth, < 3 min)"

# The core's distribution is `vertice-core`; it was named `vertice` before, which is an
# unrelated project on the package index: a .venv made then still holds it (and the
# checkout its editable metadata), so drop both.
$(STAMP): pyproject.toml testing/pyproject.toml $(PLUGINS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip uninstall --quiet --yes vertice 2>/dev/null || true
	rm -rf vertice.egg-info
	$(BIN)/python -m pip install --quiet -e '.[test,postgresql,cockroachdb]' -e ./testing $(addprefix -e ,$(addsuffix [test],$(PLUGIN_DIRS)))
	touch $(STAMP)

# Swagger UI for /docs: swagger-ui-dist from the npm registry, pinned and checked against
# its sha512 (vertice_api/ui/vendor.py), kept in the user's cache; nothing is fetched when
# it is there already.
install: $(STAMP)
	$(BIN)/python -m vertice_api.ui.vendor --quiet

run: install
	$(BIN)/vertice db upgrade
	$(BIN)/vertice init
	$(BIN)/vertice serve --bind 127.0.0.1:$(PORT)

postgres:
	@pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
	@for i in $$(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && exit 0; sleep 1; done; echo "PostgreSQL did not start" >&2; exit 1

# Debian packages the tests and benchmarks run: a Docker engine and busybox (the docker
# plugin's peer and its test image), wrk (the API benchmark), Prometheus and node_exporter
# (the service-discovery test), Caddy (the first router's peer), mmdebstrap (the docker
# builders' base images, made from Debian packages), openssh-server (a live ssh git server for
# the deploy-key tests, on 127.0.0.1 of its own; the machine's sshd it installs is disabled
# again, so `make test` leaves nothing listening on port 22), chromium (the web interface's
# browser tests, driven by Playwright without a browser download), docker-compose (the
# containers benchmark's peer, on the same engine) and npm (the Node recipe
# runs `npm ci` on the host; only when no npm is on PATH already). Installed only when
# missing; `apt-get update` only if the install fails.
DEBIAN_PACKAGES := docker.io busybox-static wrk prometheus prometheus-node-exporter caddy \
	mmdebstrap openssh-server chromium docker-compose $(if $(shell command -v npm),,npm)
system-packages:
	@missing=$$(for p in $(DEBIAN_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:" $$missing; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing || \
	  { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing; }; \
	  case " $$missing " in *" openssh-server "*) \
	    systemctl disable --now ssh.service ssh.socket >/dev/null 2>&1 || true;; esac; \
	fi

# The docker builders' base images (vertice_driver_docker.baseimages), made offline from Debian
# packages (cached under ~/.cache/vertice/base-images) and imported into the engine at
# DOCKER_BASE_URL; an operator runs it once per engine. `make test` makes them for its own
# engine when they are missing (the docker plugin's tests' `base_images` fixture).
DOCKER_BASE_URL ?= unix:///var/run/docker.sock
base-images: install system-packages
	$(BIN)/python -m vertice_driver_docker.baseimages --base-url $(DOCKER_BASE_URL)

# The one-click catalog's images (vertice_driver_docker.appimages: PostgreSQL, Redis, Apache,
# a static web server, a Python application), made offline like the base images (cached under
# ~/.cache/vertice/app-images), imported as localhost/vertice-app-<name>:<key> and :latest.
app-images: install system-packages
	$(BIN)/python -m vertice_driver_docker.appimages --base-url $(DOCKER_BASE_URL)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports setup.cfg

typecheck: install
	$(BIN)/mypy vertice_core vertice_api vertice_drivers testing/vertice_testing vertice_notify bench $(PLUGIN_PACKAGES) $(TEST_PEERS) docs/driver-template/vertice_driver_example

pytest: install postgres system-packages
	$(BIN)/pytest -n 2 --dist loadgroup --durations=30

# Benchmarks: full size (the targets' size) and a tenth of it. Figures go to var/bench/.
bench: install postgres system-packages
	$(BIN)/python -m bench --size full

bench-quick: install postgres system-packages
	$(BIN)/python -m bench --size quick

test: lint typecheck pytest

# Also setuptools' build folders: a module removed from the sources stays in build/lib and
# in every wheel built in place afterwards.
clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache build plugins/*/build testing/build
