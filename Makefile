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

# The web server is the subject of issue #7; until it lands, `serve` builds and publishes
# the release under var/current (store, dumps, vocabulary) and says so.
serve: build
	@echo "Built and published var/current. The web server (lod serve) arrives with issue #7."

test: install
	$(VENV)/bin/pytest

bench: install
	$(VENV)/bin/python bench/build_phases.py

clean:
	rm -rf var bench/out
