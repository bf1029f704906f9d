# The README's two commands: `make serve` and `make test`. Both set up what they need:
# .venv (the publisher) and .venv-mapper (the RML engine, see docs/decisions.md).
PYTHON ?= python3
VENV   := .venv
MAPPER := .venv-mapper
LOD    := $(VENV)/bin/lod

.PHONY: install build serve test bench clean

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

clean:
	rm -rf var bench/out
