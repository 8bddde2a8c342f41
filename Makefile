# `make demo` and `make test` set everything up first (idempotent), then run.
VENV ?= .venv
PY := $(VENV)/bin/python
APT_PACKAGES := graphviz tesseract-ocr tesseract-ocr-eng osra fonts-dejavu fonts-noto-cjk default-jre-headless
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install system venv demo test bench clean

install: system $(VENV)/.installed

system:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "apt-get install:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# torch first and pinned, so nothing later pulls a CUDA build.
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[all,dev]'
	touch $@

demo: install
	$(VENV)/bin/ivlu run "draw caffeine and aspirin side by side, highlight the methyl groups and carbonyl groups" --out demo-out

test: install
	$(VENV)/bin/ruff check ivlu_agent tests evals
	$(VENV)/bin/lint-imports  # the layer rules in pyproject.toml
	$(PY) -m pytest -q -n 2 tests

bench: install
	$(PY) evals/bench_loop.py

clean:
	rm -rf $(VENV) demo-out .ivlu
