# The README's two commands: `make serve` and `make test`. Both set up what they need:
# .venv (the publisher) and .venv-mapper (the RML engine, see docs/decisions.md).
PYTHON ?= python3
VENV   := .venv
MAPPER := .venv-mapper
LOD    := $(VENV)/bin/lod

.PHONY: install build serve test bench bench-serve clean

install: $(VENV)/.installed $(MAPPER)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $@

# morph-kgc in its own environment, plus our package without dependencies (for lod.normalise).
$(MAPPER)/.installed: mappings/requirements.txt pyproject.toml
	$(PYTHON) -m venv $(MAPPER)
	$(MAPPER)/bin/pip install --quiet --upgrade pip
	$(MAPPER)/bin/pip install --quiet -r mappings/requirements.txt
	$(MAPPER)/bin/pip install --quiet --no-deps -e .
	touch $@

build: install
	$(LOD) build

# Builds a fresh release, then serves it with gunicorn at [server].host:port (lod.toml).
serve: build
	$(LOD) serve

test: install
	$(VENV)/bin/pytest

bench: install
	$(VENV)/bin/python bench/build_phases.py

# Serving benchmark: wrk (Debian) and rdflib-endpoint (its own environment) as the baseline.
bench-serve: install .venv-bench/.installed
	command -v wrk >/dev/null || (sudo -n true 2>/dev/null && sudo apt-get install -y wrk || apt-get install -y wrk)
	$(VENV)/bin/python bench/serving.py

.venv-bench/.installed: bench/requirements.txt
	$(PYTHON) -m venv .venv-bench
	.venv-bench/bin/pip install --quiet -r bench/requirements.txt
	touch $@

clean:
	rm -rf var bench/out
