# floorscan: `make demo` serves a demo warehouse, `make test` runs every test.
# Both set everything up first on a fresh Debian/Ubuntu machine.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
# System packages: libzbar0 for server-side barcode decoding (pyzbar);
# chromium for the PWA's browser tests (Playwright drives /usr/bin/chromium);
# nodejs for the PWA's JavaScript unit tests (node --test).
APT_PACKAGES ?= libzbar0 chromium nodejs
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: demo test setup system-deps bench clean

setup: system-deps $(VENV)/.stamp-install

system-deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing system packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "floorscan needs system packages:$$missing"; \
	    echo "run: sudo apt-get update && sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi

$(VENV)/.stamp-install: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[dev]"
	touch $@

demo: setup
	$(BIN)/floorscan demo --db demo.db --port $(PORT)

# One pytest process by default, as CI runs it. TEST_WORKERS=2 runs two, each test
# file whole in one of them: 6.5 minutes instead of 11 on the 2-core box, but the
# load has made a timing-bound test fail now and then (docs/testing.md).
TEST_WORKERS ?= 0
test: setup
	$(BIN)/pytest $(if $(filter-out 0,$(TEST_WORKERS)),-n $(TEST_WORKERS) --dist loadfile) $(PYTEST_ARGS)

bench: setup
	$(BIN)/python bench/scan_load.py

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .hypothesis demo.db demo.db-wal demo.db-shm
